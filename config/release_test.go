package config

import (
	"strings"
	"testing"
)

const withRelease = `
app:
  repo: app
  forge: {type: gitlab, repo: acme/api, tokenFile: secrets/gitlab}
gitops: {remote: gitops.git}
release: {mode: pull-request, buildURL: "https://ci.example.com/builds/{build}"}
services:
  - name: api
    image: ghcr.io/acme/api
    keys: [cosign.pub]
    release: {releaseType: node}
  - name: web
    image: ghcr.io/acme/web
    keys: [cosign.pub]
    release: {mode: tag}
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
`

func TestReleaseSettings(t *testing.T) {
	c, err := Parse("/x/slipway.yaml", []byte(withRelease))
	if err != nil {
		t.Fatal(err)
	}
	if f := c.App.Forge; f == nil || f.Type != "gitlab" || f.Repo != "acme/api" || f.TokenFile != "/x/secrets/gitlab" {
		t.Fatalf("app.forge = %+v", f)
	}
	api, _ := c.Service("api")
	web, _ := c.Service("web")
	if r := c.ReleaseOf(api); r.Mode != ReleasePullRequest || r.ReleaseType != "node" || r.BuildURL != "https://ci.example.com/builds/{build}" {
		t.Errorf("api: %+v", r)
	}
	if r := c.ReleaseOf(web); r.Mode != ReleaseTag || r.ReleaseType != "" {
		t.Errorf("web: %+v", r)
	}
	plain, err := Parse("/x/slipway.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if r := plain.ReleaseOf(&plain.Services[0]); r.Mode != ReleaseTag || plain.App.Forge != nil {
		t.Errorf("defaults: %+v, app.forge %v", r, plain.App.Forge)
	}
}

func TestReleaseErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct{ name, edit, want string }{
		{"mode", strings.Replace(withRelease, "mode: pull-request", "mode: pr", 1), `slipway.yaml:6: release.mode: "pr": use tag`},
		{"service mode", strings.Replace(withRelease, "{mode: tag}", "{mode: manual}", 1), `slipway.yaml:15: services[1].release.mode: "manual"`},
		{"release type", strings.Replace(withRelease, "releaseType: node", "releaseType: maven", 1), `services[0].release.releaseType: "maven": use one of simple, node, python, helm, go`},
		{"url", strings.Replace(withRelease, `"https://ci.example.com/builds/{build}"`, `ci.example.com`, 1), `release.buildURL: "ci.example.com" is not an http(s) URL`},
		{"app forge", strings.Replace(withRelease, "repo: acme/api, ", "", 1), "slipway.yaml:4: app.forge.repo: name the repository on gitlab"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/x/slipway.yaml", []byte(tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
