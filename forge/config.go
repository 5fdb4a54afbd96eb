// Package forge is the registry of hosted forge adapters (GitHub, GitLab,
// Gitea) and the configuration they share: where the API is, which
// repository holds the GitOps pins, and where the credentials come from.
// Each adapter lives in its own package and registers itself by name; the
// binary imports the adapters it links and calls Open.
package forge

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/forge/internal/retry"
)

// Config is the `gitops.forge:` block of slipway.yaml plus what the binary
// injects at run time (fields tagged yaml:"-"). Secrets are never written in
// the file: the file names an environment variable or a file that holds them.
type Config struct {
	// Type is the adapter: local (built in, the default), github, gitlab or gitea.
	Type string `yaml:"type"`
	// URL is the API base URL. Empty: the public service (api.github.com,
	// gitlab.com/api/v4); required for Gitea. For GitHub Enterprise Server
	// write https://host/api/v3, for self-managed GitLab https://host (the
	// /api/v4 suffix is added).
	URL string `yaml:"url"`
	// Repo is the repository on the forge (the GitOps one under gitops.forge,
	// the app one under app.forge): owner/name on GitHub and
	// Gitea; the full project path (group/sub/project) or numeric project ID
	// on GitLab.
	Repo string `yaml:"repo"`
	// TokenEnv names the environment variable holding the API token.
	TokenEnv string `yaml:"tokenEnv"`
	// TokenFile is a file holding the API token (trailing newline ignored);
	// relative to slipway.yaml.
	TokenFile string `yaml:"tokenFile"`
	// App authenticates as a GitHub App installation instead of a token.
	App *GitHubApp `yaml:"app"`
	// WebhookSecretEnv and WebhookSecretFile hold the secret webhook
	// deliveries are verified with. Without one, webhooks are refused and
	// Slipway learns of merges by polling.
	WebhookSecretEnv  string `yaml:"webhookSecretEnv"`
	WebhookSecretFile string `yaml:"webhookSecretFile"`
	// MergeMethod is how Slipway merges: merge (a merge commit, the
	// default), squash or rebase (GitHub and Gitea only).
	MergeMethod string `yaml:"mergeMethod"`

	// Transport carries the API requests; nil is http.DefaultTransport.
	// Tests point it at their httptest server.
	Transport http.RoundTripper `yaml:"-"`
	// Retry overrides the retry and rate-limit policy (tests make it sleep
	// instantly); nil is the default policy.
	Retry *retry.Transport `yaml:"-"`
	// Now is the clock (GitHub App tokens, webhook timestamps); nil is time.Now.
	Now func() time.Time `yaml:"-"`
	// Key is where the block was read from, for messages: "gitops.forge"
	// (the default) or "app.forge".
	Key string `yaml:"-"`
}

// key is Key, defaulted.
func (c *Config) key() string {
	if c.Key == "" {
		return "gitops.forge"
	}
	return c.Key
}

// GitHubApp is a GitHub App installation: Slipway signs a JWT with the
// app's private key and exchanges it for an installation token scoped to
// Repo, renewed before it expires.
type GitHubApp struct {
	// AppID is the app's numeric ID or its client ID (Iv1.…).
	AppID string `yaml:"appID"`
	// InstallationID is the installation on the account owning Repo.
	InstallationID int64 `yaml:"installationID"`
	// PrivateKeyFile is the PEM private key downloaded from the app's
	// settings; relative to slipway.yaml.
	PrivateKeyFile string `yaml:"privateKeyFile"`
}

// Built-in adapter names. Only local is always linked; the others register
// when their package is imported.
const (
	Local  = "local"
	GitHub = "github"
	GitLab = "gitlab"
	Gitea  = "gitea"
)

// Merge methods.
const (
	MergeCommit = "merge"
	Squash      = "squash"
	Rebase      = "rebase"
)

// Problem is one thing wrong in a Config: the field (as written in YAML)
// and what to write instead. config turns it into file:line errors.
type Problem struct {
	Field   string // e.g. "tokenEnv", "app.privateKeyFile"
	Message string
}

func (p Problem) Error() string { return p.Field + ": " + p.Message }

var (
	envNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	ownerNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	projectRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)
)

// Check lists what is wrong with c without touching the environment or the
// file system (secrets are read by Token and WebhookSecret when the forge
// opens). An empty Type means local.
func (c *Config) Check() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch c.Type {
	case "", Local:
		if c.URL != "" || c.Repo != "" || c.TokenEnv != "" || c.TokenFile != "" || c.App != nil {
			add("type", "the local forge keeps pull requests in Slipway's store and takes no url, repo or credentials: set type: github, gitlab or gitea, or remove them")
		}
		return ps
	case GitHub, GitLab, Gitea:
	default:
		add("type", "%q is not a forge: use local, github, gitlab or gitea", c.Type)
		return ps
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			add("url", "%q is not an http(s) URL: write the API base, e.g. https://git.example.com", c.URL)
		case u.User != nil:
			// Credentials in a URL end up in logs and error messages.
			add("url", "the URL carries credentials: remove them and use tokenEnv: or tokenFile:")
		}
	} else if c.Type == Gitea {
		add("url", "Gitea has no public default: write the server's URL, e.g. https://gitea.example.com")
	}
	switch {
	case c.Repo == "":
		add("repo", "name the repository on %s, e.g. %s", c.Type, exampleRepo(c.Type))
	case c.Type == GitLab:
		if _, err := strconv.ParseInt(c.Repo, 10, 64); err != nil && !projectRE.MatchString(c.Repo) {
			add("repo", "%q is not a GitLab project: write its full path (group/project) or numeric ID", c.Repo)
		}
	case !ownerNameRE.MatchString(c.Repo):
		add("repo", "%q is not owner/name: write e.g. %s", c.Repo, exampleRepo(c.Type))
	}
	sources := 0
	for _, s := range []string{c.TokenEnv, c.TokenFile} {
		if s != "" {
			sources++
		}
	}
	if c.App != nil {
		sources++
		if c.Type != GitHub {
			add("app", "GitHub App authentication is for type: github; %s takes tokenEnv: or tokenFile:", c.Type)
		}
		if c.App.AppID == "" {
			add("app.appID", "write the app's ID (Settings > Developer settings > GitHub Apps > your app: App ID)")
		}
		if c.App.InstallationID <= 0 {
			add("app.installationID", "write the installation's numeric ID (the number at the end of its settings URL)")
		}
		if c.App.PrivateKeyFile == "" {
			add("app.privateKeyFile", "name the app's PEM private key file")
		}
	}
	switch {
	case sources == 0:
		add("tokenEnv", "no credentials: set tokenEnv: (e.g. %s) or tokenFile:%s", tokenExample(c.Type), map[bool]string{true: ", or app: for a GitHub App", false: ""}[c.Type == GitHub])
	case sources > 1:
		add("tokenEnv", "set only one of tokenEnv:, tokenFile: and app:")
	}
	if c.TokenEnv != "" && (!envNameRE.MatchString(c.TokenEnv) || looksLikeToken(c.TokenEnv)) {
		add("tokenEnv", "%q is not an environment variable name: name the variable (e.g. %s), never the token itself", c.TokenEnv, tokenExample(c.Type))
	}
	if c.WebhookSecretEnv != "" && c.WebhookSecretFile != "" {
		add("webhookSecretEnv", "set only one of webhookSecretEnv: and webhookSecretFile:")
	}
	if c.WebhookSecretEnv != "" && !envNameRE.MatchString(c.WebhookSecretEnv) {
		add("webhookSecretEnv", "%q is not an environment variable name: name the variable, never the secret itself", c.WebhookSecretEnv)
	}
	switch c.MergeMethod {
	case "", MergeCommit, Squash:
	case Rebase:
		if c.Type == GitLab {
			add("mergeMethod", "GitLab sets rebase (fast-forward) merges in the project's settings, not per merge: use merge or squash")
		}
	default:
		add("mergeMethod", "%q: use merge, squash or rebase", c.MergeMethod)
	}
	return ps
}

// looksLikeToken spots a token pasted where the name of its environment
// variable belongs: GitHub's and GitLab's token prefixes, or Gitea's 40 hex
// digits. A token in slipway.yaml would be committed with it.
func looksLikeToken(s string) bool {
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glptt-", "glrt-"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return len(s) == 40 && strings.Trim(s, "0123456789abcdef") == ""
}

func exampleRepo(typ string) string {
	if typ == GitLab {
		return "platform/gitops"
	}
	return "acme/gitops"
}

func tokenExample(typ string) string {
	switch typ {
	case GitLab:
		return "GITLAB_TOKEN"
	case Gitea:
		return "GITEA_TOKEN"
	}
	return "GITHUB_TOKEN"
}

// Method is the merge method, defaulted.
func (c *Config) Method() string {
	if c.MergeMethod == "" {
		return MergeCommit
	}
	return c.MergeMethod
}

// Clock returns the configured clock or time.Now.
func (c *Config) Clock() func() time.Time {
	if c.Now != nil {
		return c.Now
	}
	return time.Now
}

// Token reads the API token from TokenEnv or TokenFile. An empty value is an
// error that names where it was looked for.
func (c *Config) Token() (string, error) {
	s, err := readSecret(c.key(), c.TokenEnv, c.TokenFile, "API token")
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", slipway.Errorf(slipway.EINVALID, "%s: no API token configured: set tokenEnv: or tokenFile:", c.key())
	}
	return s, nil
}

// WebhookSecret reads the webhook secret; nil when none is configured (then
// every delivery is refused).
func (c *Config) WebhookSecret() ([]byte, error) {
	if c.WebhookSecretEnv == "" && c.WebhookSecretFile == "" {
		return nil, nil
	}
	s, err := readSecret(c.key(), c.WebhookSecretEnv, c.WebhookSecretFile, "webhook secret")
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// readSecret reads a secret from an environment variable or a file, trimmed
// of surrounding whitespace (editors add a final newline).
func readSecret(key, env, file, what string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			return "", slipway.Errorf(slipway.EINVALID, "%s: the %s environment variable %s is empty or unset: export it before starting slipway", key, what, env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", slipway.Errorf(slipway.EINVALID, "%s: cannot read the %s file: %v", key, what, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", slipway.Errorf(slipway.EINVALID, "%s: the %s file %s is empty", key, what, file)
		}
		return v, nil
	}
	return "", nil
}

// HTTPClient returns the client an adapter sends API requests with: the
// configured transport, wrapped by auth (may be nil) and, outside it, the
// shared retry and rate-limit policy, so each retry is re-authorized.
func (c *Config) HTTPClient(auth func(http.RoundTripper) http.RoundTripper) *http.Client {
	base := c.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// A forge that accepts the connection and never answers must not
		// hold a worker until its context ends: the retry policy treats
		// the timeout like a dropped connection.
		t.ResponseHeaderTimeout = time.Minute
		base = t
	}
	if auth != nil {
		base = auth(base)
	}
	var rt retry.Transport
	if c.Retry != nil {
		rt = *c.Retry
	}
	rt.Base = base
	rt.Forge = c.Type
	return &http.Client{Transport: &rt}
}
