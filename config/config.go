// Package config reads and validates slipway.yaml. Errors name the file, the
// line and the field, and say what to write instead.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/auth"
	"github.com/slipway/slipway/forge"
	"github.com/slipway/slipway/git"
	"github.com/slipway/slipway/gitops"
	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/versioning"
	"github.com/slipway/slipway/versioning/deprecation"
)

// Config is the whole of slipway.yaml.
type Config struct {
	// App is the application source repository (Conventional Commits, tags).
	App App `yaml:"app"`
	// GitOps is the repository whose pins say what runs where.
	GitOps GitOps `yaml:"gitops"`
	// Registry holds OCI registry options shared by all services.
	Registry Registry `yaml:"registry"`
	// Rekor, when set, records in that transparency log the key signatures
	// of builds that reach intake without a log entry.
	Rekor *Rekor `yaml:"rekor"`
	// Groups maps a group name (used by approval rules) to its members.
	Groups map[string][]string `yaml:"groups"`
	// Lint is the commit-message policy of `slipway lint`.
	Lint Lint `yaml:"lint"`
	// Permissions grant powers beyond the everyday ones.
	Permissions Permissions `yaml:"permissions"`
	// Policy is the API policy of releases (deprecation window).
	Policy Policy `yaml:"policy"`
	// Release is how releases are published, for every service (a
	// service's release: overrides it field by field).
	Release Release `yaml:"release"`
	// Services are the deployable components.
	Services []Service `yaml:"services"`
	// Environments in promotion order: each promotes from the one before it.
	Environments []Environment `yaml:"environments"`
	// Platform is the platform release (a signed manifest of component
	// digests) and the order its components are promoted in.
	Platform Platform `yaml:"platform"`
	// Auth grants roles and permissions, and configures OIDC login.
	Auth auth.Config `yaml:"auth"`
	// Notifications are the receivers of notices (Slack, JSON webhooks).
	Notifications []Notification `yaml:"notifications"`
	// Hooks configure the webhooks Slipway receives (POST /hooks/build).
	Hooks Hooks `yaml:"hooks"`

	path string     // the file it was read from
	root *yaml.Node // for line numbers in later validation errors
}

// Lint is the Conventional Commit policy: which types and scopes commits
// may use. Empty lists mean the defaults (the common types; any scope).
type Lint struct {
	// Preset picks the rule set: "spec" (the default: Conventional Commits
	// 1.0 as written, with the fields below) or "commitlint-conventional"
	// (commitlint's @commitlint/config-conventional rule for rule, with the
	// repository's commitlint config file applied; the fields below are
	// then refused, the rules live in that file).
	Preset          string   `yaml:"preset"`
	Types           []string `yaml:"types"`
	Scopes          []string `yaml:"scopes"`
	RequireScope    bool     `yaml:"requireScope"`
	MaxHeaderLength int      `yaml:"maxHeaderLength"`
}

// Permissions list who may do what, by user or group name.
type Permissions struct {
	// Override may break glass: let a promotion through its sync windows
	// and stop switches, with a written reason that is audited.
	Override []string `yaml:"override"`
}

// May reports whether user holds a permission granted to users or groups.
func (c *Config) May(user string, granted []string) bool {
	for _, g := range granted {
		if strings.EqualFold(g, user) {
			return true
		}
	}
	return c.InGroup(user, granted)
}

// App locates the application repository.
type App struct {
	Repo string `yaml:"repo"` // path of the app repository; relative to the config file
	// Remote is the app repository's remote: hotfix branches are pushed
	// there, and its remote-tracking branches count (default origin).
	Remote string `yaml:"remote"`
	// Branch is the main line: releases from elsewhere are maintenance
	// releases bounded by its releases (default main).
	Branch string `yaml:"branch"`
	// HotfixBranch names maintenance branches, with {service}, {major}
	// and optionally {minor} (default hotfix/{service}/v{major}.{minor});
	// semantic-release's X.Y.x / X.x names are recognized too.
	HotfixBranch string `yaml:"hotfixBranch"`
	// Forge hosts the app repository: release pull requests and release
	// pages (GitHub Releases, GitLab and Gitea releases). Absent, the
	// built-in local forge (release pull requests in the store, no
	// pages). Same shape as gitops.forge; paths relative to the config
	// file.
	Forge *forge.Config `yaml:"forge"`
}

// Release modes.
const (
	ReleaseTag         = "tag"
	ReleasePullRequest = "pull-request"
)

// Release is how a service's releases are published.
type Release struct {
	// Mode is tag (the default: `slipway release --build` tags a build and
	// publishes it) or pull-request (release-please's workflow: a standing
	// release pull request per component collects changes; merging it
	// releases the build of the merge commit).
	Mode string `yaml:"mode"`
	// ReleaseType is release-please's release-type for a service without
	// a release-please configuration: the version files a release pull
	// request bumps (simple, the default; node, python, helm, go).
	ReleaseType string `yaml:"releaseType"`
	// BuildURL links a release page to the build: a URL with {service},
	// {build}, {commit}, {digest} and {image} filled in.
	BuildURL string `yaml:"buildURL"`
	// SignatureURL links a release page to the image's signature: a URL
	// with {signature} (the signature's digest), {image}, {digest} and
	// {tlog} (its transparency-log entry) filled in.
	SignatureURL string `yaml:"signatureURL"`
}

// ReleaseOf is svc's release settings: its own release: over the global
// one, field by field, defaulted.
func (c *Config) ReleaseOf(svc *Service) Release {
	r := c.Release
	if o := svc.Release; o != nil {
		for _, f := range []struct {
			dst *string
			src string
		}{{&r.Mode, o.Mode}, {&r.ReleaseType, o.ReleaseType}, {&r.BuildURL, o.BuildURL}, {&r.SignatureURL, o.SignatureURL}} {
			if f.src != "" {
				*f.dst = f.src
			}
		}
	}
	if r.Mode == "" {
		r.Mode = ReleaseTag
	}
	return r
}

// Policy is the API policy `slipway release` enforces.
type Policy struct {
	// DeprecationWindow is how long a deprecated thing stays before a
	// release may remove it: "90d" or "2 minors" (empty: no check).
	DeprecationWindow string `yaml:"deprecationWindow"`
}

// Window is the parsed deprecation window (zero when none is set).
func (p Policy) Window() deprecation.Window {
	w, _ := deprecation.ParseWindow(p.DeprecationWindow) // validated on load
	return w
}

// GitOps locates the GitOps repository.
type GitOps struct {
	Remote string `yaml:"remote"` // URL or path of the GitOps remote (a bare repo works)
	Branch string `yaml:"branch"` // default branch for environments that name none (default main)
	Author string `yaml:"author"` // commit identity for pin commits, "Name <email>" (default Slipway <slipway@localhost>)
	// Forge hosts the pull requests of pull-request environments: absent,
	// the built-in local forge; otherwise GitHub, GitLab or Gitea (see
	// docs/forges.md). Paths in it are relative to the config file.
	Forge *forge.Config `yaml:"forge"`
}

// Registry holds OCI client options.
type Registry struct {
	// Insecure allows plain HTTP to registries on loopback addresses.
	Insecure bool `yaml:"insecure"`
}

// Rekor is a Rekor v1 transparency log Slipway records signatures in.
type Rekor struct {
	// URL of the log, e.g. https://rekor.sigstore.dev.
	URL string `yaml:"url"`
	// PublicKey is the PEM file of the log's key (relative to the config
	// file): every entry the log returns is verified with it.
	PublicKey string `yaml:"publicKey"`
}

// Service is one deployable component.
type Service struct {
	Name        string   `yaml:"name"`
	Paths       []string `yaml:"paths"`       // source paths in the app repo (empty: the whole repo)
	Image       string   `yaml:"image"`       // image repository, e.g. ghcr.io/acme/api
	TagFormat   string   `yaml:"tagFormat"`   // v{version} (default), {component}-v{version}, {component}/v{version}
	Preset      string   `yaml:"preset"`      // release-please (default), semantic-release, conventionalcommits
	Keys        []string `yaml:"keys"`        // PEM public keys trusted to sign its images; relative to the config file
	Application string   `yaml:"application"` // Argo CD application name for sync windows (default: the service name)
	// Pins, by environment name, replace that environment's pins for this
	// service (e.g. one service pinned with kustomize where the others use
	// Helm values). See PinSet.
	Pins map[string]gitops.PinSet `yaml:"pins"`
	// Identities are the keyless signers (Fulcio certificates) trusted to
	// sign its images; verified against TrustedRoot.
	Identities []Identity `yaml:"identities"`
	// TrustedRoot is a Sigstore trusted_root.json (Fulcio CAs, Rekor logs,
	// timestamp authorities); relative to the config file. Needed by
	// identities and by require.tlog.
	TrustedRoot string `yaml:"trustedRoot"`
	// Require lists what intake demands beyond a trusted signature.
	Require Require `yaml:"require"`
	// Release overrides the global release: settings for this service.
	Release *Release `yaml:"release"`
	// Labels are Kubernetes-style labels; platform rollout steps select
	// services by them (matchExpressions), and platform manifests carry them.
	Labels map[string]string `yaml:"labels"`
}

// Platform configures platform releases and their rollouts (docs/platform.md).
type Platform struct {
	// Name of the platform, e.g. acme (a DNS label): names manifests and tags.
	Name string `yaml:"name"`
	// Key is the PEM private key that signs platform manifests (cosign
	// format, `slipway keys generate`); relative to the config file.
	Key string `yaml:"key"`
	// PublicKey verifies them (default: the public half of Key).
	PublicKey string `yaml:"publicKey"`
	// Rollout orders `slipway platform promote` in steps, like Argo CD
	// ApplicationSet's RollingSync.
	Rollout platform.Rollout `yaml:"rollout"`
}

// Identity is one keyless signer: the OIDC issuer and the subject (the
// certificate's SAN) of its Fulcio certificate, each given exactly or as a
// Go regular expression (unanchored, as cosign's --certificate-identity-regexp).
type Identity struct {
	Issuer        string `yaml:"issuer"`
	IssuerRegExp  string `yaml:"issuerRegExp"`
	Subject       string `yaml:"subject"`
	SubjectRegExp string `yaml:"subjectRegExp"`
}

// Require is a service's supply-chain requirements at intake.
type Require struct {
	// SBOM requires a signed SBOM attestation: spdx, cyclonedx or any;
	// empty means none is required.
	SBOM string `yaml:"sbom"`
	// Provenance requires signed SLSA provenance whose subject is the digest
	// and whose source commit is the build's commit.
	Provenance bool `yaml:"provenance"`
	// Platforms an image index must hold, "os/arch[/variant]".
	Platforms []string `yaml:"platforms"`
	// Tlog requires the signature to be in a transparency log.
	Tlog bool `yaml:"tlog"`
}

// Environment is one stage of promotion.
type Environment struct {
	Name   string `yaml:"name"`
	Branch string `yaml:"branch"` // GitOps branch holding this environment's pins (default gitops.branch)
	// Pin is where this environment's digest of each service is written:
	// the one-pin spelling of Pins. After Parse, Pins holds it too, and Pin
	// holds the only pin of a one-element Pins.
	Pin gitops.Pin `yaml:"pin"`
	// Pins are every place this environment's digest of a service is
	// written, all in one commit per promotion. See Config.PinSet.
	Pins gitops.PinSet `yaml:"pins"`
	// Promotion is how a pin reaches the branch: direct (push) or pull-request.
	Promotion string `yaml:"promotion"`
	// Auto promotes without a person: for the first environment on build
	// register, for the others once the previous environment is green and
	// every gate passes.
	Auto bool `yaml:"autoPromote"`
	// AutoMerge merges the promotion's pull request as soon as it is open and
	// the gates pass (a review by approval); otherwise a person merges it.
	AutoMerge bool `yaml:"autoMerge"`
	// ForgeApprovals counts approving reviews on the promotion's pull
	// request (on the head Slipway pushed) as approvals, under the same rules
	// as `slipway approve`. The pull request then opens before the
	// approvals are in, and the approval gate is checked before it merges.
	ForgeApprovals bool `yaml:"forgeApprovals"`
	// Release: only released builds (a vX.Y.Z tag) may enter. Default: true
	// for every environment after the first.
	Release *bool `yaml:"requireRelease"`
	Gates   Gates `yaml:"gates"`
	// Checks are verifications Slipway runs itself in this environment, as
	// AnalysisTemplates (e.g. a load test through the job provider):
	// `slipway verify run` records their verdict like a reported result.
	Checks map[string]Check `yaml:"checks"`
	// Canary, when set, runs a canary with analysis after the pin is synced.
	Canary yaml.Node `yaml:"canary"`
	// AuthenticatedApprovals: approvals into this environment must come
	// through the server, from an authenticated person; the CLI in local
	// mode is refused. Default: true for the last environment.
	AuthenticatedApprovals *bool `yaml:"requireAuthenticatedApprovals"`
	// Namespace and Cluster are the Argo CD destination used to match sync windows.
	Namespace     string `yaml:"namespace"`
	ClusterName   string `yaml:"clusterName"`
	ClusterServer string `yaml:"clusterServer"`
}

// RequireRelease reports whether only released builds may enter.
func (e *Environment) RequireRelease() bool { return e.Release != nil && *e.Release }

// HasCanary reports whether a canary runs after the pin syncs.
func (e *Environment) HasCanary() bool { return e.Canary.Kind != 0 }

// Check is a verification run as an AnalysisTemplate.
type Check struct {
	Template string            `yaml:"template"` // file of the AnalysisTemplate, relative to the config file
	Args     map[string]string `yaml:"args"`     // argument values (service, digest and env are added)
}

// Gates guard promotion into an environment.
type Gates struct {
	Approvals Approvals `yaml:"approvals"`
	// Verifications are the checks that must have passed for the digest in the
	// previous environment (e.g. e2e, load, soak).
	Verifications []string `yaml:"verifications"`
	// Soak is how long the digest must have run in the previous environment.
	Soak Duration `yaml:"soak"`
	// Windows are Argo CD syncWindows, inline.
	Windows yaml.Node `yaml:"windows"`
	// WindowsFile is a file of windows or an AppProject manifest (relative to the config file).
	WindowsFile string `yaml:"windowsFile"`
	// AppProject is the path, in the GitOps repository, of an Argo CD
	// AppProject manifest whose spec.syncWindows apply (read from the
	// environment's branch, so window changes are reviewed like pins).
	AppProject string `yaml:"appProject"`
}

// Approvals is the approval rule of an environment.
type Approvals struct {
	Required          int      `yaml:"required"`
	Groups            []string `yaml:"groups"` // approvers must belong to one of these (empty: anyone)
	AllowSelfApproval bool     `yaml:"allowSelfApproval"`
	ExpiresAfter      Duration `yaml:"expiresAfter"`
}

// Duration is a time.Duration written as "72h", "10m", "30s".
type Duration struct{ time.Duration }

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a duration must be a string such as \"30m\" or \"72h\"", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration: write it as \"30m\", \"2h\" or \"72h\"", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration back in Go syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Path is the file the configuration was read from.
func (c *Config) Path() string { return c.path }

// Dir is the directory relative paths in the configuration are resolved from.
func (c *Config) Dir() string { return filepath.Dir(c.path) }

// Resolve makes a path from the configuration absolute.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(c.Dir(), p)
}

// Service returns the named service or an error listing the known ones.
func (c *Config) Service(name string) (*Service, error) {
	for i := range c.Services {
		if c.Services[i].Name == name {
			return &c.Services[i], nil
		}
	}
	return nil, fmt.Errorf("unknown service %q: %s defines %s", name, c.path, list(c.serviceNames()))
}

// Environment returns the named environment and its position in the order.
func (c *Config) Environment(name string) (*Environment, int, error) {
	for i := range c.Environments {
		if c.Environments[i].Name == name {
			return &c.Environments[i], i, nil
		}
	}
	return nil, -1, fmt.Errorf("unknown environment %q: %s defines %s", name, c.path, list(c.envNames()))
}

// Previous returns the environment promoted from into env, or nil for the first.
func (c *Config) Previous(env string) *Environment {
	_, i, err := c.Environment(env)
	if err != nil || i == 0 {
		return nil
	}
	return &c.Environments[i-1]
}

// Next returns the environment after env, or nil for the last.
func (c *Config) Next(env string) *Environment {
	_, i, err := c.Environment(env)
	if err != nil || i+1 >= len(c.Environments) {
		return nil
	}
	return &c.Environments[i+1]
}

// Branch is the GitOps branch of env.
func (c *Config) Branch(e *Environment) string {
	if e.Branch != "" {
		return e.Branch
	}
	return c.GitOps.Branch
}

// InGroup reports whether user is a member of any of groups.
func (c *Config) InGroup(user string, groups []string) bool {
	for _, g := range groups {
		for _, m := range c.Groups[g] {
			if m == user {
				return true
			}
		}
	}
	return false
}

// GroupsOf lists the groups user belongs to.
func (c *Config) GroupsOf(user string) []string {
	var out []string
	for g, members := range c.Groups {
		for _, m := range members {
			if m == user {
				out = append(out, g)
			}
		}
	}
	return out
}

func (c *Config) serviceNames() []string {
	var n []string
	for _, s := range c.Services {
		n = append(n, s.Name)
	}
	return n
}

func (c *Config) envNames() []string {
	var n []string
	for _, e := range c.Environments {
		n = append(n, e.Name)
	}
	return n
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file: create it (see `slipway config example`) or pass --config", path)
		}
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return Parse(abs, data)
}

// Parse decodes and validates configuration bytes; path is used in errors and
// to resolve relative paths.
func Parse(path string, data []byte) (*Config, error) {
	c := &Config{path: path}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty: it needs services: and environments:", path)
	}
	c.root = root.Content[0]
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt field is an error, not a silently ignored gate
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n ", ""), "yaml: unmarshal errors:"))
	}
	c.applyDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	if c.GitOps.Branch == "" {
		c.GitOps.Branch = "main"
	}
	if c.GitOps.Author == "" {
		c.GitOps.Author = "Slipway <slipway@localhost>"
	}
	if c.App.Repo == "" {
		c.App.Repo = "."
	}
	if c.Platform.Rollout.RollbackOnFailure == "" {
		c.Platform.Rollout.RollbackOnFailure = platform.RollbackWave
	}
	for _, f := range []*forge.Config{c.GitOps.Forge, c.App.Forge} {
		if f != nil {
			f.TokenFile, f.WebhookSecretFile = c.Resolve(f.TokenFile), c.Resolve(f.WebhookSecretFile)
			if f.App != nil {
				f.App.PrivateKeyFile = c.Resolve(f.App.PrivateKeyFile)
			}
		}
	}
	if c.Rekor != nil && c.Rekor.PublicKey != "" {
		c.Rekor.PublicKey = c.Resolve(c.Rekor.PublicKey)
	}
	if c.App.Remote == "" {
		c.App.Remote = "origin"
	}
	if c.App.Branch == "" {
		c.App.Branch = "main"
	}
	if c.App.HotfixBranch == "" {
		c.App.HotfixBranch = "hotfix/{service}/v{major}.{minor}"
	}
	for i := range c.Services {
		s := &c.Services[i]
		if s.TagFormat == "" {
			s.TagFormat = "v{version}"
		}
		if s.Preset == "" {
			s.Preset = "release-please"
		}
		if s.Application == "" {
			s.Application = s.Name
		}
	}
	c.applyAccessDefaults()
	for i := range c.Environments {
		e := &c.Environments[i]
		if e.Promotion == "" {
			e.Promotion = "direct"
		}
		if e.Namespace == "" {
			e.Namespace = e.Name
		}
		if e.Release == nil {
			first := i == 0
			require := !first
			e.Release = &require
		}
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// fieldError names the file, line and field of a problem and how to fix it.
func (c *Config) fieldError(line int, field, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", c.path, line, field, fmt.Sprintf(format, args...))
}

func (c *Config) validate() error {
	var errs []error
	if r := c.Rekor; r != nil {
		if u, err := url.Parse(r.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, c.fieldError(c.line("rekor", "url"), "rekor.url", "%q is not a Rekor URL: write https://rekor.sigstore.dev or your log's", r.URL))
		}
		if r.PublicKey == "" {
			errs = append(errs, c.fieldError(c.line("rekor"), "rekor.publicKey", "the log's public key is required: save it with `curl $URL/api/v1/log/publicKey > rekor.pub` from a machine you trust and name the file"))
		}
	}
	if len(c.Services) == 0 {
		errs = append(errs, c.fieldError(c.line("services"), "services", "at least one service is required"))
	}
	seen := map[string]bool{}
	for i, s := range c.Services {
		at := func(f string) int { return c.line("services", i, f) }
		field := func(f string) string { return fmt.Sprintf("services[%d].%s", i, f) }
		if !nameRE.MatchString(s.Name) {
			errs = append(errs, c.fieldError(at("name"), field("name"), "%q is not a valid name: use lowercase letters, digits and dashes (e.g. api)", s.Name))
		}
		if seen[s.Name] {
			errs = append(errs, c.fieldError(at("name"), field("name"), "service %q is defined twice", s.Name))
		}
		seen[s.Name] = true
		if s.Image == "" || strings.ContainsAny(s.Image, "@ ") {
			errs = append(errs, c.fieldError(at("image"), field("image"), "%q: give the image repository without tag or digest, e.g. ghcr.io/acme/%s", s.Image, s.Name))
		}
		if !strings.Contains(s.TagFormat, "{version}") {
			errs = append(errs, c.fieldError(at("tagFormat"), field("tagFormat"), "%q must contain {version}, e.g. v{version} or {component}/v{version}", s.TagFormat))
		}
		switch s.Preset {
		case "release-please", "semantic-release", "conventionalcommits":
		default:
			errs = append(errs, c.fieldError(at("preset"), field("preset"), "%q is not a preset: use release-please, semantic-release or conventionalcommits", s.Preset))
		}
		errs = append(errs, c.validateTrust(i, s)...)
		errs = append(errs, c.validateLabels(i, s)...)
	}
	for _, where := range []struct {
		key string
		f   *forge.Config
	}{{"gitops", c.GitOps.Forge}, {"app", c.App.Forge}} {
		if where.f == nil {
			continue
		}
		for _, p := range where.f.Check() {
			at := []any{where.key, "forge"}
			for _, k := range strings.Split(p.Field, ".") {
				at = append(at, k)
			}
			errs = append(errs, c.fieldError(c.line(at...), where.key+".forge."+p.Field, "%s", p.Message))
		}
	}
	if len(c.Environments) == 0 {
		errs = append(errs, c.fieldError(c.line("environments"), "environments", "at least one environment is required (e.g. dev, staging, prod)"))
	}
	seenEnv := map[string]bool{}
	for i, e := range c.Environments {
		at := func(f ...any) int { return c.line(append([]any{"environments", i}, f...)...) }
		field := func(f string) string { return fmt.Sprintf("environments[%d].%s", i, f) }
		if !nameRE.MatchString(e.Name) {
			errs = append(errs, c.fieldError(at("name"), field("name"), "%q is not a valid name: use lowercase letters, digits and dashes", e.Name))
		}
		if seenEnv[e.Name] {
			errs = append(errs, c.fieldError(at("name"), field("name"), "environment %q is defined twice", e.Name))
		}
		seenEnv[e.Name] = true
		if e.ForgeApprovals && e.Promotion != "pull-request" {
			errs = append(errs, c.fieldError(at("forgeApprovals"), field("forgeApprovals"), "reviews need a pull request: set promotion: pull-request, or remove forgeApprovals"))
		}
		switch e.Promotion {
		case "direct", "pull-request":
		default:
			errs = append(errs, c.fieldError(at("promotion"), field("promotion"), "%q: use direct or pull-request", e.Promotion))
		}
		errs = append(errs, c.validatePins(i, e)...)
		a := e.Gates.Approvals
		if a.Required < 0 {
			errs = append(errs, c.fieldError(at("gates", "approvals", "required"), field("gates.approvals.required"), "must be 0 or more"))
		}
		for _, g := range a.Groups {
			if _, ok := c.Groups[g]; !ok {
				errs = append(errs, c.fieldError(at("gates", "approvals", "groups"), field("gates.approvals.groups"), "group %q is not defined under groups:", g))
			}
		}
		if i == 0 && (a.Required > 0 || len(e.Gates.Verifications) > 0 || e.Gates.Soak.Duration > 0) {
			errs = append(errs, c.fieldError(at("gates"), field("gates"), "the first environment has no previous one to verify or soak in; move these gates to a later environment"))
		}
	}
	for i, s := range c.Services {
		for env, pins := range s.Pins {
			if _, _, err := c.Environment(env); err != nil {
				errs = append(errs, c.fieldError(c.line("services", i, "pins", env), fmt.Sprintf("services[%d].pins.%s", i, env), "%v; the keys of pins: are environment names", err))
				continue
			}
			if len(pins) == 0 {
				errs = append(errs, c.fieldError(c.line("services", i, "pins", env), fmt.Sprintf("services[%d].pins.%s", i, env), "the list is empty: list the service's pins in %s, or remove the key to use the environment's", env))
			}
			for j, p := range pins {
				errs = append(errs, c.pinError(p, fmt.Sprintf("services[%d].pins.%s[%d]", i, env, j), "services", i, "pins", env, j)...)
			}
		}
	}
	errs = append(errs, c.validateLint()...)
	errs = append(errs, c.validateApp()...)
	errs = append(errs, c.validatePlatform()...)
	errs = append(errs, c.validateAccess()...)
	if len(errs) == 0 {
		c.normalizePins()
	}
	return errors.Join(errs...)
}

// validatePins checks an environment's pin: or pins:.
func (c *Config) validatePins(i int, e Environment) []error {
	field := fmt.Sprintf("environments[%d]", i)
	switch {
	case !e.Pin.IsZero() && len(e.Pins) > 0:
		return []error{c.fieldError(c.line("environments", i, "pins"), field+".pins", "pin: and pins: are both set; keep pins: (a list) and move the pin: into it")}
	case !e.Pin.IsZero():
		return c.pinError(e.Pin, field+".pin", "environments", i, "pin")
	case len(e.Pins) == 0 && !c.everyServicePins(e.Name):
		return []error{c.fieldError(c.line("environments", i), field+".pins", "the environment has no pins: add pins: [{file: envs/{env}/{service}/values.yaml, path: image.digest}] (see docs/pins.md)")}
	}
	var errs []error
	for j, p := range e.Pins {
		errs = append(errs, c.pinError(p, fmt.Sprintf("%s.pins[%d]", field, j), "environments", i, "pins", j)...)
	}
	return errs
}

// platformRE is os/arch[/variant] as docker and crane print a platform.
var platformRE = regexp.MustCompile(`^[a-z0-9_.-]+/[a-z0-9_.-]+(/[a-z0-9_.-]+)?$`)

// validateTrust checks a service's trust policy: who may sign, and what
// intake requires besides a signature.
func (c *Config) validateTrust(i int, s Service) []error {
	var errs []error
	at := func(f ...any) int { return c.line(append([]any{"services", i}, f...)...) }
	field := func(f string) string { return fmt.Sprintf("services[%d].%s", i, f) }
	if len(s.Keys) == 0 && len(s.Identities) == 0 {
		errs = append(errs, c.fieldError(at("name"), field("keys"), "service %q trusts no signing key and no keyless identity: add keys: [path/to/cosign.pub] or identities: [{issuer: ..., subject: ...}]; unsigned images are never promoted", s.Name))
	}
	for j, id := range s.Identities {
		where := func(f string) (int, string) {
			return at("identities", j, f), field(fmt.Sprintf("identities[%d].%s", j, f))
		}
		for _, pair := range [][2]string{{"issuer", "issuerRegExp"}, {"subject", "subjectRegExp"}} {
			exact, re := id.Issuer, id.IssuerRegExp
			if pair[0] == "subject" {
				exact, re = id.Subject, id.SubjectRegExp
			}
			switch {
			case exact == "" && re == "":
				l, f := where(pair[0])
				errs = append(errs, c.fieldError(l, f, "missing: give %s (exact) or %s (a regular expression), e.g. %s", pair[0], pair[1], identityExample(pair[0])))
			case exact != "" && re != "":
				l, f := where(pair[1])
				errs = append(errs, c.fieldError(l, f, "give %s or %s, not both", pair[0], pair[1]))
			case re != "":
				if _, err := regexp.Compile(re); err != nil {
					l, f := where(pair[1])
					errs = append(errs, c.fieldError(l, f, "%q is not a regular expression: %v", re, err))
				}
			}
		}
	}
	if len(s.Identities) > 0 && s.TrustedRoot == "" {
		errs = append(errs, c.fieldError(at("identities"), field("trustedRoot"), "keyless identities are verified against a Sigstore trusted root: add trustedRoot: path/to/trusted_root.json (Sigstore's is targets/trusted_root.json in github.com/sigstore/root-signing)"))
	}
	r := s.Require
	switch r.SBOM {
	case "", "spdx", "cyclonedx", "any":
	default:
		errs = append(errs, c.fieldError(at("require", "sbom"), field("require.sbom"), "%q: use spdx, cyclonedx or any (or leave it out when no SBOM is required)", r.SBOM))
	}
	if r.Tlog && s.TrustedRoot == "" {
		errs = append(errs, c.fieldError(at("require", "tlog"), field("require.tlog"), "transparency-log entries are verified with the log keys of a Sigstore trusted root: add trustedRoot: path/to/trusted_root.json"))
	}
	seen := map[string]bool{}
	for j, p := range r.Platforms {
		l, f := at("require", "platforms", j), field(fmt.Sprintf("require.platforms[%d]", j))
		switch {
		case !platformRE.MatchString(p):
			errs = append(errs, c.fieldError(l, f, "%q is not a platform: write os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7", p))
		case seen[p]:
			errs = append(errs, c.fieldError(l, f, "%q is listed twice", p))
		}
		seen[p] = true
	}
	return errs
}

// everyServicePins reports whether every service lists its own pins for env.
func (c *Config) everyServicePins(env string) bool {
	for _, s := range c.Services {
		if _, ok := s.Pins[env]; !ok {
			return false
		}
	}
	return len(c.Services) > 0
}

// pinError validates one pin and places its error at the line of the key
// at fault.
func (c *Config) pinError(p gitops.Pin, field string, at ...any) []error {
	err := p.Validate()
	if err == nil {
		return nil
	}
	var ce *gitops.ConfigError
	if errors.As(err, &ce) {
		path := at
		for _, k := range strings.Split(ce.Key, ".") {
			path = append(path, k)
		}
		return []error{c.fieldError(c.line(path...), field+"."+ce.Key, "%s", ce.Msg)}
	}
	return []error{c.fieldError(c.line(at...), field, "%v", err)}
}

// normalizePins makes Pins the one list to read: a pin: becomes a
// one-element Pins, and a one-element Pins fills Pin for callers that
// still read one pin.
func (c *Config) normalizePins() {
	for i := range c.Environments {
		e := &c.Environments[i]
		switch {
		case !e.Pin.IsZero():
			e.Pins = gitops.PinSet{e.Pin}
		case len(e.Pins) == 1:
			e.Pin = e.Pins[0]
		}
	}
}

// PinSet returns the pins a promotion of service into env writes: the
// service's own pins for env when it lists some, else the environment's.
func (c *Config) PinSet(service, env string) (gitops.PinSet, error) {
	s, err := c.Service(service)
	if err != nil {
		return nil, err
	}
	e, _, err := c.Environment(env)
	if err != nil {
		return nil, err
	}
	if pins, ok := s.Pins[env]; ok {
		return pins, nil
	}
	return e.Pins, nil
}

// validateLint checks lint.preset and that the spec preset's fields are
// not set beside commitlint's, where they would silently do nothing.
func (c *Config) validateLint() []error {
	l := c.Lint
	at := c.line("lint", "preset")
	switch l.Preset {
	case "", "spec":
		return nil
	case "commitlint-conventional":
		if len(l.Types) > 0 || len(l.Scopes) > 0 || l.RequireScope || l.MaxHeaderLength > 0 {
			return []error{c.fieldError(at, "lint", "types, scopes, requireScope and maxHeaderLength belong to the spec preset; with commitlint-conventional set them as commitlint rules (type-enum, scope-enum, scope-empty, header-max-length) in .commitlintrc.json")}
		}
		return nil
	}
	return []error{c.fieldError(at, "lint.preset", "%q is not a lint preset: use spec (the default) or commitlint-conventional", l.Preset)}
}

// validateApp checks the app repository's branch settings and the policy.
func (c *Config) validateApp() []error {
	var errs []error
	if err := git.CheckArg("remote", c.App.Remote); err != nil || strings.ContainsAny(c.App.Remote, " /:") {
		errs = append(errs, c.fieldError(c.line("app", "remote"), "app.remote", "%q is not a remote name: give the name of the app repository's remote (e.g. origin)", c.App.Remote))
	}
	if err := git.CheckBranch(c.App.Branch); err != nil {
		errs = append(errs, c.fieldError(c.line("app", "branch"), "app.branch", "%v: give the main line's branch (e.g. main)", err))
	}
	if _, err := versioning.ParseBranchPattern(c.App.HotfixBranch); err != nil {
		errs = append(errs, c.fieldError(c.line("app", "hotfixBranch"), "app.hotfixBranch", "%v", err))
	}
	if _, err := deprecation.ParseWindow(c.Policy.DeprecationWindow); err != nil {
		errs = append(errs, c.fieldError(c.line("policy", "deprecationWindow"), "policy.deprecationWindow", "%v", err))
	}
	errs = append(errs, c.validateRelease(c.Release, "release")...)
	for i, s := range c.Services {
		if s.Release != nil {
			errs = append(errs, c.validateRelease(*s.Release, "services", i, "release")...)
		}
	}
	return errs
}

// validateRelease checks a release: block (path locates it for errors).
func (c *Config) validateRelease(r Release, path ...any) []error {
	var errs []error
	field := func(f string) string {
		var b strings.Builder
		for _, p := range path {
			switch p := p.(type) {
			case string:
				if b.Len() > 0 {
					b.WriteString(".")
				}
				b.WriteString(p)
			case int:
				fmt.Fprintf(&b, "[%d]", p)
			}
		}
		return b.String() + "." + f
	}
	at := func(f string) int { return c.line(append(append([]any{}, path...), f)...) }
	switch r.Mode {
	case "", ReleaseTag, ReleasePullRequest:
	default:
		errs = append(errs, c.fieldError(at("mode"), field("mode"), "%q: use tag (slipway release --build tags a build) or pull-request (a standing release pull request, release-please's workflow)", r.Mode))
	}
	if r.ReleaseType != "" && !slices.Contains(versioning.BumpTypes, r.ReleaseType) {
		errs = append(errs, c.fieldError(at("releaseType"), field("releaseType"), "%q: use one of %s (or a release-please-config.json for other types)", r.ReleaseType, strings.Join(versioning.BumpTypes, ", ")))
	}
	for _, u := range []struct{ name, v string }{{"buildURL", r.BuildURL}, {"signatureURL", r.SignatureURL}} {
		if u.v != "" && !strings.HasPrefix(u.v, "https://") && !strings.HasPrefix(u.v, "http://") {
			errs = append(errs, c.fieldError(at(u.name), field(u.name), "%q is not an http(s) URL: write e.g. https://ci.example.com/builds/{build}", u.v))
		}
	}
	return errs
}

func identityExample(part string) string {
	if part == "issuer" {
		return "issuer: https://token.actions.githubusercontent.com"
	}
	return `subjectRegExp: ^https://github\.com/acme/api/\.github/workflows/`
}

// line finds the line of a node by a path of mapping keys and sequence indices;
// the deepest existing node's line when the path is partly absent.
func (c *Config) line(path ...any) int {
	n := c.root
	if n == nil {
		return 0
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(n.Content); j += 2 {
					if n.Content[j].Value == k {
						next = n.Content[j+1]
						line = n.Content[j].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// Line exposes line lookup to packages that validate embedded documents
// (windows, canary), so their errors can point into slipway.yaml too.
func (c *Config) Line(path ...any) int { return c.line(path...) }

// Kubernetes label syntax: an optional DNS-subdomain prefix and a name of
// at most 63 characters; values of at most 63, possibly empty.
var (
	labelKeyRE   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	labelValueRE = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)

// validateLabels checks a service's labels with Kubernetes' rules, since
// rollout steps select by them as Argo CD selects Applications.
func (c *Config) validateLabels(i int, s Service) []error {
	var errs []error
	for k, v := range s.Labels {
		at := c.line("services", i, "labels", k)
		field := fmt.Sprintf("services[%d].labels.%s", i, k)
		if !labelKeyRE.MatchString(k) {
			errs = append(errs, c.fieldError(at, field, "%q is not a label key: letters, digits, '-', '_' and '.', at most 63, with an optional prefix (e.g. tier or acme.io/tier)", k))
		}
		if !labelValueRE.MatchString(v) {
			errs = append(errs, c.fieldError(at, field, "%q is not a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", v))
		}
	}
	return errs
}

// validatePlatform checks the platform block: its name, keys and rollout
// steps, each error at the line of the field at fault.
func (c *Config) validatePlatform() []error {
	p := c.Platform
	var errs []error
	if p.Name != "" && !nameRE.MatchString(p.Name) {
		errs = append(errs, c.fieldError(c.line("platform", "name"), "platform.name", "%q is not a valid name: use lowercase letters, digits and dashes (e.g. acme)", p.Name))
	}
	if (p.Key != "" || p.PublicKey != "" || len(p.Rollout.Steps) > 0) && p.Name == "" {
		errs = append(errs, c.fieldError(c.line("platform"), "platform.name", "missing: name the platform (e.g. name: acme); it names manifests and tags"))
	}
	r := p.Rollout
	switch r.RollbackOnFailure {
	case platform.RollbackWave, platform.RollbackAll:
	default:
		errs = append(errs, c.fieldError(c.line("platform", "rollout", "rollbackOnFailure"), "platform.rollout.rollbackOnFailure", "%q: write wave (roll back the failed step's services) or all (every step so far)", r.RollbackOnFailure))
	}
	for i, st := range r.Steps {
		for j, e := range st.MatchExpressions {
			if err := e.Validate(); err != nil {
				field := strings.SplitN(err.Error(), ":", 2)[0]
				errs = append(errs, c.fieldError(c.line("platform", "rollout", "steps", i, "matchExpressions", j, field), fmt.Sprintf("platform.rollout.steps[%d].matchExpressions[%d]", i, j), "%v", err))
			}
		}
	}
	return errs
}
