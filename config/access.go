package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway/slipway"
	"github.com/slipway/slipway/auth"
)

// Notification is one receiver of notices: a Slack-compatible incoming
// webhook (Slack, Mattermost, Rocket.Chat take {"text": …}) or a generic
// JSON webhook that receives the notice as it is, for some environments
// and events. The URL of an incoming webhook is a secret: give it through
// urlEnv or urlFile.
type Notification struct {
	Name string `yaml:"name"` // names the receiver in the outbox and in logs
	Type string `yaml:"type"` // slack or webhook
	// URL, URLEnv, URLFile: where to post (exactly one).
	URL     string `yaml:"url"`
	URLEnv  string `yaml:"urlEnv"`
	URLFile string `yaml:"urlFile"`
	// SecretEnv and SecretFile hold a key generic webhooks are signed with
	// (X-Slipway-Signature, as the build hook; optional).
	SecretEnv  string `yaml:"secretEnv"`
	SecretFile string `yaml:"secretFile"`
	// Environments limits the receiver to these environments (empty: all).
	Environments []string `yaml:"environments"`
	// Events limits it to these events (empty: all); see slipway.NoticeEvents.
	Events []string `yaml:"events"`
}

// Wants reports whether the receiver takes a notice.
func (n *Notification) Wants(x slipway.Notice) bool {
	if len(n.Events) > 0 && !slices.Contains(n.Events, x.Event) {
		return false
	}
	return len(n.Environments) == 0 || x.Env == "" || slices.Contains(n.Environments, x.Env)
}

// Endpoint reads the receiver's URL.
func (n *Notification) Endpoint() (string, error) {
	if n.URL != "" {
		return n.URL, nil
	}
	b, err := ReadSecret(n.URLEnv, n.URLFile)
	return strings.TrimSpace(string(b)), err
}

// Hooks configure the webhooks Slipway receives.
type Hooks struct {
	// Build is POST /hooks/build, CI's signed "a build is ready".
	Build BuildHook `yaml:"build"`
}

// BuildHook holds the HMAC keys build events are signed with.
type BuildHook struct {
	// SecretEnv and SecretFile hold the key for every service without its own.
	SecretEnv  string `yaml:"secretEnv"`
	SecretFile string `yaml:"secretFile"`
	// Services gives services their own key (service name → key); a
	// service listed here accepts only its own key, so one service's CI
	// cannot register another's builds.
	Services map[string]Secret `yaml:"services"`
}

// Secret names an environment variable or a file holding a secret.
type Secret struct {
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// Key returns the HMAC key for a service's build events, and where it
// comes from, or nil when none is configured.
func (h *BuildHook) Key(service string) ([]byte, error) {
	if s, ok := h.Services[service]; ok {
		return ReadSecret(s.Env, s.File)
	}
	if h.SecretEnv == "" && h.SecretFile == "" {
		return nil, nil
	}
	return ReadSecret(h.SecretEnv, h.SecretFile)
}

// ReadSecret reads a secret from an environment variable or a file (one of
// them), without its trailing newline.
func ReadSecret(env, file string) ([]byte, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("environment variable %s is not set: export it with the secret", env)
		}
		return []byte(strings.TrimSpace(v)), nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("secret file: %w", err)
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	return nil, errors.New("no secret configured")
}

// RequireAuthenticatedApprovals reports whether approvals into the
// environment must come through the server (an authenticated person).
func (e *Environment) RequireAuthenticatedApprovals() bool {
	return e.AuthenticatedApprovals != nil && *e.AuthenticatedApprovals
}

// applyAccessDefaults resolves secret paths and defaults the approval rule:
// the last environment requires authenticated approvals unless it says
// otherwise.
func (c *Config) applyAccessDefaults() {
	for i := range c.Notifications {
		n := &c.Notifications[i]
		n.URLFile, n.SecretFile = c.Resolve(n.URLFile), c.Resolve(n.SecretFile)
	}
	h := &c.Hooks.Build
	h.SecretFile = c.Resolve(h.SecretFile)
	for k, s := range h.Services {
		s.File = c.Resolve(s.File)
		h.Services[k] = s
	}
	if o := c.Auth.OIDC; o != nil {
		o.ClientSecretFile = c.Resolve(o.ClientSecretFile)
	}
	for i := range c.Environments {
		e := &c.Environments[i]
		if e.AuthenticatedApprovals == nil {
			last := i == len(c.Environments)-1
			e.AuthenticatedApprovals = &last
		}
	}
}

// validateAccess checks auth:, notifications: and hooks:.
func (c *Config) validateAccess() []error {
	var errs []error
	for _, p := range c.Auth.Check(c.serviceNames(), c.envNames(), c.Groups) {
		errs = append(errs, c.fieldError(c.line(append([]any{"auth"}, fieldPath(p.Field)...)...), "auth."+p.Field, "%s", p.Message))
	}
	seen := map[string]bool{}
	for i, n := range c.Notifications {
		at := func(f string) int { return c.line("notifications", i, f) }
		field := func(f string) string { return fmt.Sprintf("notifications[%d].%s", i, f) }
		if !nameRE.MatchString(n.Name) || seen[n.Name] {
			errs = append(errs, c.fieldError(at("name"), field("name"), "%q: give each receiver a unique name of lowercase letters, digits and dashes (e.g. releases-slack)", n.Name))
		}
		seen[n.Name] = true
		if n.Type != "slack" && n.Type != "webhook" {
			errs = append(errs, c.fieldError(at("type"), field("type"), "%q: use slack (a Slack-compatible incoming webhook) or webhook (the notice as JSON)", n.Type))
		}
		set := 0
		for _, v := range []string{n.URL, n.URLEnv, n.URLFile} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, c.fieldError(at("url"), field("url"), "give exactly one of url, urlEnv or urlFile (an incoming-webhook URL is a secret: prefer urlEnv or urlFile)"))
		} else if n.URL != "" {
			if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, c.fieldError(at("url"), field("url"), "%q is not an http(s) URL", n.URL))
			}
		}
		for _, e := range n.Events {
			if !slices.Contains(slipway.NoticeEvents, e) {
				errs = append(errs, c.fieldError(at("events"), field("events"), "%q is not an event: use %s", e, strings.Join(slipway.NoticeEvents, ", ")))
			}
		}
		for _, e := range n.Environments {
			if _, _, err := c.Environment(e); err != nil {
				errs = append(errs, c.fieldError(at("environments"), field("environments"), "%v", err))
			}
		}
	}
	for svc, s := range c.Hooks.Build.Services {
		if _, err := c.Service(svc); err != nil {
			errs = append(errs, c.fieldError(c.line("hooks", "build", "services", svc), "hooks.build.services."+svc, "%v", err))
		}
		if (s.Env == "") == (s.File == "") {
			errs = append(errs, c.fieldError(c.line("hooks", "build", "services", svc), "hooks.build.services."+svc, "give env or file (one of them) holding the service's key"))
		}
	}
	if h := c.Hooks.Build; h.SecretEnv != "" && h.SecretFile != "" {
		errs = append(errs, c.fieldError(c.line("hooks", "build"), "hooks.build", "give secretEnv or secretFile, not both"))
	}
	return errs
}

// AccessPolicy is the access policy of the configuration: auth.roles, groups
// and the permissions.override list.
func (c *Config) AccessPolicy() *auth.Policy {
	return auth.NewPolicy(c.Auth, c.Groups, c.Permissions.Override)
}

// fieldPath turns "roles[1].members" into the path "roles", 1, "members"
// that line() follows.
func fieldPath(f string) []any {
	var out []any
	for _, part := range strings.Split(f, ".") {
		name, idx, ok := strings.Cut(part, "[")
		out = append(out, name)
		if n, err := strconv.Atoi(strings.TrimSuffix(idx, "]")); ok && err == nil {
			out = append(out, n)
		}
	}
	return out
}
