package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintPolicyFromConfig: allowed types and scopes come from slipway.yaml's
// lint:, and flags override them.
func TestLintPolicyFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "slipway.yaml")
	os.WriteFile(cfg, []byte(`
gitops: {remote: x}
lint: {types: [feat, fix], scopes: [api], requireScope: true}
services: [{name: api, image: r/api, keys: [k.pub]}]
environments: [{name: dev, pin: {file: "a.yaml", path: image.digest}}]
`), 0o644)
	msg := filepath.Join(dir, "MSG")
	cases := []struct {
		msg   string
		flags []string
		ok    bool
		want  string
	}{
		{"feat(api): add export", nil, true, ""},
		{"docs(api): typo", nil, false, "docs"},
		{"feat(web): add page", nil, false, "web"},
		{"feat: no scope", nil, false, "scope"},
		{"docs(api): typo", []string{"--types", "docs"}, true, ""},
	}
	for _, tc := range cases {
		os.WriteFile(msg, []byte(tc.msg+"\n"), 0o644)
		_, stderr, err := runSlipway(t, append([]string{"--config", cfg, "lint", "message", "--repo", dir, msg}, tc.flags...)...)
		if tc.ok != (err == nil) {
			t.Errorf("%q %v: err %v\n%s", tc.msg, tc.flags, err, stderr)
			continue
		}
		if !tc.ok && !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: the message should point at %q:\n%s", tc.msg, tc.want, stderr)
		}
	}
}
