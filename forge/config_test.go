package forge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway"
)

func TestCheck(t *testing.T) {
	ok := Config{Type: GitHub, Repo: "acme/gitops", TokenEnv: "GITHUB_TOKEN"}
	cases := []struct {
		name  string
		edit  func(*Config)
		field string // "" when valid
		says  string
	}{
		{"github with a token", func(c *Config) {}, "", ""},
		{"local is the default", func(c *Config) { *c = Config{} }, "", ""},
		{"local with a repo", func(c *Config) { c.Type = Local }, "type", "takes no url, repo or credentials"},
		{"unknown type", func(c *Config) { c.Type = "bitbucket" }, "type", "use local, github, gitlab or gitea"},
		{"no repo", func(c *Config) { c.Repo = "" }, "repo", "acme/gitops"},
		{"repo with three parts on github", func(c *Config) { c.Repo = "a/b/c" }, "repo", "not owner/name"},
		{"gitlab subgroup path", func(c *Config) { c.Type, c.TokenEnv, c.Repo = GitLab, "GITLAB_TOKEN", "platform/team/gitops" }, "", ""},
		{"gitlab numeric id", func(c *Config) { c.Type, c.Repo = GitLab, "4242" }, "", ""},
		{"gitlab bare name", func(c *Config) { c.Type, c.Repo = GitLab, "gitops" }, "repo", "full path"},
		{"gitea needs a url", func(c *Config) { c.Type = Gitea }, "url", "no public default"},
		{"bad url", func(c *Config) { c.URL = "git.example.com" }, "url", "not an http(s) URL"},
		{"credentials in the url", func(c *Config) { c.URL = "https://bot:hunter2@ghe.example.com" }, "url", "carries credentials"},
		{"no credentials", func(c *Config) { c.TokenEnv = "" }, "tokenEnv", "no credentials"},
		{"two credentials", func(c *Config) { c.TokenFile = "/run/token" }, "tokenEnv", "only one"},
		{"token pasted into tokenEnv", func(c *Config) { c.TokenEnv = "ghp_abc123-xyz" }, "tokenEnv", "never the token itself"},
		{"github token pasted into tokenEnv", func(c *Config) { c.TokenEnv = "ghp_16C7e42F292c6912E7710c838347Ae178B4a" }, "tokenEnv", "never the token itself"},
		{"gitea token pasted into tokenEnv", func(c *Config) {
			c.Type, c.URL, c.TokenEnv = Gitea, "https://g.example", "0123456789abcdef0123456789abcdef01234567"
		}, "tokenEnv", "never the token itself"},
		{"app on gitlab", func(c *Config) {
			c.Type, c.Repo, c.TokenEnv, c.App = GitLab, "a/b", "", &GitHubApp{AppID: "1", InstallationID: 2, PrivateKeyFile: "k.pem"}
		}, "app", "for type: github"},
		{"app without installation", func(c *Config) { c.TokenEnv, c.App = "", &GitHubApp{AppID: "1", PrivateKeyFile: "k.pem"} }, "app.installationID", "numeric ID"},
		{"app complete", func(c *Config) {
			c.TokenEnv, c.App = "", &GitHubApp{AppID: "Iv1.abc", InstallationID: 2, PrivateKeyFile: "k.pem"}
		}, "", ""},
		{"two webhook secrets", func(c *Config) { c.WebhookSecretEnv, c.WebhookSecretFile = "S", "/s" }, "webhookSecretEnv", "only one"},
		{"rebase on gitlab", func(c *Config) { c.Type, c.Repo, c.MergeMethod = GitLab, "a/b", Rebase }, "mergeMethod", "project's settings"},
		{"unknown merge method", func(c *Config) { c.MergeMethod = "octopus" }, "mergeMethod", "use merge, squash or rebase"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			ps := c.Check()
			if tc.field == "" {
				if len(ps) != 0 {
					t.Fatalf("want valid, got %v", ps)
				}
				return
			}
			for _, p := range ps {
				if strings.Contains(p.Message, "hunter2") {
					t.Errorf("a problem repeats the password: %v", p)
				}
				if p.Field == tc.field && strings.Contains(p.Message, tc.says) {
					return
				}
			}
			t.Fatalf("want %s: …%s…, got %v", tc.field, tc.says, ps)
		})
	}
}

func TestSecretsComeFromTheEnvironmentOrAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	os.WriteFile(file, []byte("  tok-from-file\n"), 0o600)
	t.Setenv("SLIPWAY_TEST_TOKEN", "tok-from-env")
	t.Setenv("SLIPWAY_TEST_EMPTY", "")

	for _, c := range []struct {
		cfg  Config
		want string
		err  string
	}{
		{Config{TokenEnv: "SLIPWAY_TEST_TOKEN"}, "tok-from-env", ""},
		{Config{TokenFile: file}, "tok-from-file", ""},
		{Config{TokenEnv: "SLIPWAY_TEST_EMPTY"}, "", "SLIPWAY_TEST_EMPTY is empty or unset"},
		{Config{TokenEnv: "SLIPWAY_TEST_UNSET_XYZ"}, "", "SLIPWAY_TEST_UNSET_XYZ is empty or unset"},
		{Config{TokenFile: filepath.Join(dir, "missing")}, "", "cannot read the API token file"},
	} {
		got, err := c.cfg.Token()
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("Token(%+v) = %q, %v; want %q, …%s…", c.cfg, got, err, c.want, c.err)
		}
		if err != nil && strings.Contains(err.Error(), "tok-from") {
			t.Errorf("an error leaks a secret: %v", err)
		}
	}
	if s, err := (&Config{}).WebhookSecret(); s != nil || err != nil {
		t.Errorf("no webhook secret configured = %q, %v; want nil, nil", s, err)
	}
	if s, err := (&Config{WebhookSecretFile: file}).WebhookSecret(); string(s) != "tok-from-file" || err != nil {
		t.Errorf("webhook secret file = %q, %v", s, err)
	}
}

func TestOpen(t *testing.T) {
	_, err := Open(Config{Type: "bitbucket"})
	if slipway.ErrorCode(err) != slipway.EINVALID || !strings.Contains(err.Error(), "gitops.forge.type") {
		t.Errorf("unknown type: %v", err)
	}
	_, err = Open(Config{})
	if slipway.ErrorCode(err) != slipway.EINVALID || !strings.Contains(err.Error(), "local forge is built by the engine") {
		t.Errorf("local: %v", err)
	}
	// No adapter package is imported by this test: github is valid but not linked.
	_, err = Open(Config{Type: GitHub, Repo: "a/b", TokenEnv: "X"})
	if slipway.ErrorCode(err) != slipway.EINVALID || !strings.Contains(err.Error(), "import github.com/slipway/slipway/forge/github") {
		t.Errorf("unlinked adapter: %v", err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	Register("test-twice", func(Config) (slipway.Forge, error) { return nil, nil })
	defer func() {
		if recover() == nil {
			t.Fatal("a second Register of the same name did not panic")
		}
	}()
	Register("test-twice", func(Config) (slipway.Forge, error) { return nil, nil })
}

func TestVerifyHMAC(t *testing.T) {
	secret, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	// The example from GitHub's "Validating webhook deliveries" page.
	const want = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := SignHMAC(secret, body); got != want {
		t.Fatalf("SignHMAC = %s, want GitHub's documented %s", got, want)
	}
	if !VerifyHMAC(secret, body, want) || !VerifyHMAC(secret, body, strings.ToUpper(want)) {
		t.Fatal("the documented signature does not verify")
	}
	for _, bad := range []string{"", "757107", want[:63], want + "00", "zz" + want[2:]} {
		if VerifyHMAC(secret, body, bad) {
			t.Errorf("VerifyHMAC accepted %q", bad)
		}
	}
	if VerifyHMAC(nil, body, SignHMAC(nil, body)) {
		t.Error("an empty secret verified a delivery")
	}
}
