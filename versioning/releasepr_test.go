package versioning

import (
	"errors"
	"strings"
	"testing"
)

// The release pull request's words are release-please's, byte for byte
// (src/util/pull-request-title.ts, src/util/pull-request-body.ts).
func TestReleasePullRequestText(t *testing.T) {
	if got := PRTitle("main", "", "1.2.3"); got != "chore(main): release 1.2.3" {
		t.Errorf("title %q", got)
	}
	if got := PRTitle("main", "api", "1.2.3-rc.1"); got != "chore(main): release api 1.2.3-rc.1" {
		t.Errorf("title %q", got)
	}
	if got := GroupPRTitle("main"); got != "chore: release main" {
		t.Errorf("group title %q", got)
	}
	notes := "## [1.2.3](https://github.com/acme/api/compare/v1.2.2...v1.2.3) (2026-12-01)\n\n\n### Bug Fixes\n\n* x"
	single := PRBody("", "", []PRRelease{{Component: "api", Version: "1.2.3", Notes: notes}}, false)
	want := ":robot: I have created a release *beep* *boop*\n---\n\n\n" + notes + "\n\n---\n" + DefaultPRFooter
	if single != want {
		t.Errorf("single body:\n%q\nwant\n%q", single, want)
	}
	group := PRBody("Header", "Footer", []PRRelease{{Component: "api", Version: "1.3.0", Notes: "## 1.3.0"}, {Component: "web", Version: "0.2.0", Notes: "## 0.2.0"}}, true)
	want = "Header\n---\n\n\n<details><summary>api: 1.3.0</summary>\n\n## 1.3.0\n</details>\n\n<details><summary>web: 0.2.0</summary>\n\n## 0.2.0\n</details>\n\n---\nFooter"
	if group != want {
		t.Errorf("group body:\n%q\nwant\n%q", group, want)
	}
	if one := PRBody("", "", []PRRelease{{Component: "api", Version: "1.3.0", Notes: "n"}}, true); !strings.Contains(one, "<details><summary>api: 1.3.0</summary>") {
		t.Errorf("a combined pull request with one component keeps the details block:\n%s", one)
	}
	if PRBranch("api") != "slipway/release/api" || !IsPRBranch(GroupPRBranch("main")) || IsPRBranch("slipway/prod/api/abc") {
		t.Error("branch names")
	}
}

func TestChangelogSections(t *testing.T) {
	md := []byte("# Changelog\n\n## [1.3.0](https://x/compare/v1.2.0...v1.3.0) (2026-12-01)\n\n### Features\n\n* b\n\n### [1.2.1](https://x) (2026-11-01)\n\n* fix\n\n## 1.2.0 (2026-10-01)\n\n* a\n")
	v, sec, err := NewestSection(md)
	if err != nil || v != "1.3.0" || sec != "## [1.3.0](https://x/compare/v1.2.0...v1.3.0) (2026-12-01)\n\n### Features\n\n* b" {
		t.Fatalf("newest: %q %q %v", v, sec, err)
	}
	if sec, err := Section(md, "1.2.1"); err != nil || sec != "### [1.2.1](https://x) (2026-11-01)\n\n* fix" {
		t.Fatalf("1.2.1: %q %v", sec, err)
	}
	if sec, err := Section(md, "1.2.0"); err != nil || sec != "## 1.2.0 (2026-10-01)\n\n* a" {
		t.Fatalf("1.2.0: %q %v", sec, err)
	}
	if _, err := Section(md, "9.9.9"); !errors.Is(err, ErrNoSection) {
		t.Fatalf("missing: %v", err)
	}
	if _, _, err := NewestSection([]byte("# Changelog\n\n### Features\n")); !errors.Is(err, ErrNoSection) {
		t.Fatalf("no release: %v", err)
	}
}

func TestSetManifestVersion(t *testing.T) {
	for _, c := range []struct{ in, path, want string }{
		{"{\n  \".\": \"1.2.0\",\n  \"packages/web\": \"0.1.0\"\n}\n", "packages/web", "{\n  \".\": \"1.2.0\",\n  \"packages/web\": \"0.2.0\"\n}\n"},
		{"{\n  \".\": \"1.2.0\"\n}\n", "packages/web", "{\n  \".\": \"1.2.0\",\n  \"packages/web\": \"0.2.0\"\n}\n"},
		{"{}\n", ".", "{\n  \".\": \"0.2.0\"\n}\n"},
		{"", ".", "{\n  \".\": \"0.2.0\"\n}\n"},
	} {
		got, err := SetManifestVersion([]byte(c.in), c.path, "0.2.0")
		if err != nil || string(got) != c.want {
			t.Errorf("%q / %s: got %q %v, want %q", c.in, c.path, got, err, c.want)
		}
	}
}

// FuzzNewestSection: whatever a changelog holds, the newest section
// starts at a release heading of the version reported, and Section finds
// the same text.
func FuzzNewestSection(f *testing.F) {
	for _, s := range []string{"# Changelog\n\n## 1.0.0\n\n* a\n", "## [2.0.0-rc.1](x) (d)\n### Features\n## 1.0.0\n", "### v1.2.3 \n", "", "##1.0.0\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, md []byte) {
		v, sec, err := NewestSection(md)
		if err != nil {
			return
		}
		if !strings.HasPrefix(strings.TrimLeft(sec, "#"), " ") || !strings.Contains(sec, v) {
			t.Fatalf("section %q of %s", sec, v)
		}
		if again, err := Section(md, v); err != nil || again != sec {
			t.Fatalf("Section(%s) = %q %v, want %q", v, again, err, sec)
		}
	})
}
