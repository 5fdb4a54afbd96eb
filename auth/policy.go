// Package auth decides who may do what. It holds the permissions and the
// roles that grant them (configured in slipway.yaml under auth:), API
// tokens (shown once, stored as their SHA-256), passwords (argon2id),
// browser sessions, login rate limits and OIDC login. The policy is pure:
// Policy.Check answers from the configuration and the actor alone, and the
// engine calls it in one place (engine/authz.go) before every change.
package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slipway/slipway"
)

// Permission is one thing an actor may be allowed to do.
type Permission string

// Permissions. Every mutating action of the engine needs exactly one.
const (
	Read          Permission = "read"          // every GET of the API
	Promote       Permission = "promote"       // ask for a promotion
	Release       Permission = "release"       // tag a release of a build
	Approve       Permission = "approve"       // approve or reject a promotion
	Merge         Permission = "merge"         // merge a promotion's pull request
	RegisterBuild Permission = "build"         // register a build (intake)
	Verify        Permission = "verify"        // report or run a verification
	Stop          Permission = "stop"          // turn a stop-the-line switch on or off
	Override      Permission = "override"      // break glass: pass windows and stops
	Expedite      Permission = "expedite"      // promote a hotfix past the previous environment
	Rollback      Permission = "rollback"      // revert what runs in an environment
	HoldRelease   Permission = "hold-release"  // let a held digest be promoted again
	CanaryDecide  Permission = "canary-decide" // promote or abort a paused canary
	Admin         Permission = "admin"         // manage other people's tokens
)

// Separate are the permissions no everyday role includes: they are granted
// by name (auth.roles[].permissions) or with the admin role.
var Separate = []Permission{Override, Expedite, Rollback, HoldRelease, CanaryDecide}

// Roles maps each role to what it grants.
var Roles = map[string][]Permission{
	"viewer":   {Read},
	"releaser": {Read, Promote, Release, Merge, RegisterBuild, Verify, Stop},
	"approver": {Read, Approve, Stop},
	"admin":    {Read, Promote, Release, Approve, Merge, RegisterBuild, Verify, Stop, Override, Expedite, Rollback, HoldRelease, CanaryDecide, Admin},
}

// ciPermissions are all a CI token or a signed build hook may do, and only
// for its own service.
var ciPermissions = []Permission{RegisterBuild, Verify}

// Config is the auth: section of slipway.yaml.
type Config struct {
	// Roles grant roles and separate permissions to users and groups,
	// optionally only for some environments and services.
	Roles []Grant `yaml:"roles"`
	// OIDC, when set, lets people log in with an OpenID Connect provider.
	OIDC *OIDCConfig `yaml:"oidc"`
	// SessionTTL is how long a browser login lasts (default 12h).
	SessionTTL string `yaml:"sessionTTL"`
}

// Grant gives members a role and extra permissions in a scope.
type Grant struct {
	// Role is viewer, releaser, approver or admin ("" when only
	// permissions are granted).
	Role string `yaml:"role"`
	// Members are user names or group names (groups: of slipway.yaml, or
	// groups an OIDC provider vouches for).
	Members []string `yaml:"members"`
	// Environments limits the grant to these environments (empty: all).
	Environments []string `yaml:"environments"`
	// Services limits the grant to these services (empty: all).
	Services []string `yaml:"services"`
	// Permissions are granted beside the role's, e.g. rollback.
	Permissions []Permission `yaml:"permissions"`
}

// OIDCConfig is an OpenID Connect provider for browser login.
type OIDCConfig struct {
	Issuer           string   `yaml:"issuer"`           // the provider's issuer URL (discovery is read from it)
	ClientID         string   `yaml:"clientID"`         //
	ClientSecretEnv  string   `yaml:"clientSecretEnv"`  // environment variable holding the client secret
	ClientSecretFile string   `yaml:"clientSecretFile"` // or a file holding it; relative to slipway.yaml
	RedirectURL      string   `yaml:"redirectURL"`      // https://slipway.example.com/auth/oidc/callback
	UsernameClaim    string   `yaml:"usernameClaim"`    // the claim that names the user (default email)
	GroupsClaim      string   `yaml:"groupsClaim"`      // a claim listing the user's groups (optional)
	Scopes           []string `yaml:"scopes"`           // beside openid (default email profile)
}

// DefaultSessionTTL is a browser login's lifetime when auth.sessionTTL is unset.
const DefaultSessionTTL = 12 * time.Hour

// TTL is the session lifetime.
func (c *Config) TTL() time.Duration {
	if d, err := time.ParseDuration(c.SessionTTL); err == nil && d > 0 {
		return d
	}
	return DefaultSessionTTL
}

// Problem is one mistake in the auth: section: the field (relative to
// auth.) and what to write instead.
type Problem struct {
	Field   string
	Message string
}

// Check validates the section against the services, environments and
// groups slipway.yaml defines.
func (c *Config) Check(services, envs []string, groups map[string][]string) []Problem {
	var out []Problem
	add := func(field, format string, args ...any) {
		out = append(out, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.SessionTTL != "" {
		if d, err := time.ParseDuration(c.SessionTTL); err != nil || d < time.Minute || d > 30*24*time.Hour {
			add("sessionTTL", "%q: write a duration between 1m and 720h, e.g. 12h", c.SessionTTL)
		}
	}
	for i, g := range c.Roles {
		f := func(s string) string { return fmt.Sprintf("roles[%d].%s", i, s) }
		if _, ok := Roles[g.Role]; !ok && g.Role != "" {
			add(f("role"), "%q is not a role: use viewer, releaser, approver or admin", g.Role)
		}
		if g.Role == "" && len(g.Permissions) == 0 {
			add(f("role"), "grants nothing: give a role (viewer, releaser, approver, admin) or permissions")
		}
		if len(g.Members) == 0 {
			add(f("members"), "nobody is granted anything: list user names or group names")
		}
		for _, p := range g.Permissions {
			if !known(p) {
				add(f("permissions"), "%q is not a permission: use %s", p, permissionList())
			}
		}
		for _, s := range g.Services {
			if !slices.Contains(services, s) {
				add(f("services"), "service %q is not defined under services:", s)
			}
		}
		for _, e := range g.Environments {
			if !slices.Contains(envs, e) {
				add(f("environments"), "environment %q is not defined under environments:", e)
			}
		}
	}
	if o := c.OIDC; o != nil {
		switch {
		case !strings.HasPrefix(o.Issuer, "https://") && !strings.HasPrefix(o.Issuer, "http://127.0.0.1") && !strings.HasPrefix(o.Issuer, "http://localhost"):
			add("oidc.issuer", "%q: give the provider's https:// issuer URL (the one its /.well-known/openid-configuration names)", o.Issuer)
		case o.ClientID == "":
			add("oidc.clientID", "missing: the client id registered with the provider")
		case o.ClientSecretEnv == "" && o.ClientSecretFile == "":
			add("oidc.clientSecretEnv", "missing: name the environment variable (clientSecretEnv) or file (clientSecretFile) holding the client secret")
		case o.RedirectURL == "" || !strings.HasSuffix(o.RedirectURL, "/auth/oidc/callback"):
			add("oidc.redirectURL", "%q: give Slipway's external URL followed by /auth/oidc/callback, as registered with the provider", o.RedirectURL)
		}
	}
	return out
}

func known(p Permission) bool {
	return slices.Contains(Roles["admin"], p)
}

func permissionList() string {
	var s []string
	for _, p := range Roles["admin"] {
		s = append(s, string(p))
	}
	return strings.Join(s, ", ")
}

// Scope is what an action touches. "" in a field means the action has no
// such dimension (a grant limited to some services still applies to it);
// All means every one (only a grant unlimited in that dimension applies).
type Scope struct {
	Service string
	Env     string
}

// All in a Scope field is every service or every environment.
const All = "*"

func (s Scope) String() string {
	var parts []string
	switch s.Service {
	case "":
	case All:
		parts = append(parts, "every service")
	default:
		parts = append(parts, s.Service)
	}
	switch s.Env {
	case "":
	case All:
		parts = append(parts, "in every environment")
	default:
		parts = append(parts, "in "+s.Env)
	}
	if len(parts) == 0 {
		return "anywhere"
	}
	return strings.Join(parts, " ")
}

// Policy answers permission questions from slipway.yaml.
type Policy struct {
	grants []Grant
	groups map[string][]string
}

// NewPolicy builds the policy of a configuration: its auth.roles, its
// groups, and the older permissions.override list (users or groups who may
// break glass everywhere).
func NewPolicy(c Config, groups map[string][]string, override []string) *Policy {
	p := &Policy{grants: c.Roles, groups: groups}
	if len(override) > 0 {
		p.grants = append(slices.Clip(p.grants), Grant{Members: override, Permissions: []Permission{Override}})
	}
	return p
}

// Check returns nil when a may do perm in s, else EFORBIDDEN naming who,
// what, where and the fix. A nil actor (trusted code in the process), the
// system and the local operator may do anything here; the engine applies
// the local operator's one limit (authenticated approvals) itself.
func (p *Policy) Check(a *slipway.Actor, perm Permission, s Scope) error {
	if a == nil || a.Kind == slipway.ActorSystem || a.Kind == slipway.ActorLocal {
		return nil
	}
	switch a.Kind {
	case slipway.ActorCI:
		if slices.Contains(ciPermissions, perm) && a.Service != "" && s.Service == a.Service {
			return nil
		}
		return slipway.Errorf(slipway.EFORBIDDEN, "%s may not %s %s: a CI token only registers builds and reports verifications of its service (%s); use a person's token for anything else", a.Name, perm, s, a.Service)
	case slipway.ActorUser:
		for _, g := range p.grants {
			if p.member(a, g) && grants(g, perm) && inScope(g, s) {
				return nil
			}
		}
		return slipway.Errorf(slipway.EFORBIDDEN, "%s may not %s %s: no role in auth.roles of slipway.yaml grants %q there; ask an admin to grant it", a.Name, perm, s, perm)
	}
	return slipway.Errorf(slipway.EFORBIDDEN, "%s (%s) may not %s", a.Name, a.Kind, perm)
}

// Allowed lists what a may do, as "permission scope" lines, for `whoami`.
func (p *Policy) Allowed(a *slipway.Actor) []string {
	if a == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(perm Permission, g Grant) {
		line := string(perm)
		if len(g.Services) > 0 {
			line += " services=" + strings.Join(g.Services, ",")
		}
		if len(g.Environments) > 0 {
			line += " environments=" + strings.Join(g.Environments, ",")
		}
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	switch a.Kind {
	case slipway.ActorSystem, slipway.ActorLocal:
		for _, perm := range Roles["admin"] {
			add(perm, Grant{})
		}
	case slipway.ActorCI:
		for _, perm := range ciPermissions {
			add(perm, Grant{Services: []string{a.Service}})
		}
	case slipway.ActorUser:
		for _, g := range p.grants {
			if !p.member(a, g) {
				continue
			}
			for _, perm := range append(slices.Clone(Roles[g.Role]), g.Permissions...) {
				add(perm, g)
			}
		}
	}
	sort.Strings(out)
	return out
}

// member reports whether a is named in g, directly or through a group.
func (p *Policy) member(a *slipway.Actor, g Grant) bool {
	me := slipway.NormalizeIdentity(a.Name)
	for _, m := range g.Members {
		if slipway.NormalizeIdentity(m) == me {
			return true
		}
		for _, u := range p.groups[m] {
			if slipway.NormalizeIdentity(u) == me {
				return true
			}
		}
		if slices.Contains(a.Groups, m) {
			return true
		}
	}
	return false
}

func grants(g Grant, perm Permission) bool {
	return slices.Contains(Roles[g.Role], perm) || slices.Contains(g.Permissions, perm)
}

func inScope(g Grant, s Scope) bool {
	return dimension(g.Services, s.Service) && dimension(g.Environments, s.Env)
}

// dimension matches one dimension of a scope against a grant's limit.
func dimension(limit []string, v string) bool {
	switch {
	case len(limit) == 0 || v == "":
		return true
	case v == All:
		return false
	}
	return slices.Contains(limit, v)
}
