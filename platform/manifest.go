// Package platform describes a platform release: one version number for a
// set of component releases, each pinned to the image digest that was built,
// signed and promoted. It is the unit a self-hoster installs (see package
// bundle and docs/bundle.md).
//
// This file holds only the manifest type and its encodings. A manifest is
// written in YAML or JSON:
//
//	apiVersion: slipway.dev/v1
//	kind: Platform
//	name: acme
//	version: 1.4.0
//	created: 2026-11-28T10:00:00Z
//	platforms: [linux/amd64, linux/arm64]   # optional: every image must have these
//	components:
//	  - name: api
//	    version: 2.3.1
//	    tag: api/v2.3.1
//	    image: ghcr.io/acme/api
//	    digest: sha256:…                    # of the index (multi-arch) or the manifest
//	    platforms: [linux/amd64, linux/arm64]
//	    labels: {tier: lite}
//	    notes: |
//	      ### Bug Fixes
//	      * …
package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"
)

// APIVersion and Kind identify a platform manifest.
const (
	APIVersion = "slipway.dev/v1"
	Kind       = "Platform"
)

// MaxManifestSize bounds what Parse reads: a manifest holds changelog
// sections, not images, and a huge input is a mistake or an attack.
const MaxManifestSize = 8 << 20

// ErrInvalid is wrapped by every error Parse and Validate return.
var ErrInvalid = errors.New("invalid platform manifest")

// Manifest is one platform release. Who writes it: the platform release
// step (one per platform version, never edited afterwards); who reads it:
// the bundle builder and the GitOps repository.
type Manifest struct {
	// APIVersion is always APIVersion ("slipway.dev/v1").
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	// Kind is always Kind ("Platform").
	Kind string `json:"kind" yaml:"kind"`
	// Name of the platform, e.g. "acme": lowercase letters, digits and
	// '-', at most 63 characters (it names files, charts and projects).
	Name string `json:"name" yaml:"name"`
	// Version is the platform's SemVer 2.0 version, without a leading "v".
	Version string `json:"version" yaml:"version"`
	// Created is when the platform release was cut (UTC after Parse).
	Created time.Time `json:"created" yaml:"created"`
	// Platforms (optional) are the OS/architectures every component image
	// must provide, e.g. "linux/amd64"; a bundle refuses a component that
	// lacks one.
	Platforms []string `json:"platforms,omitempty" yaml:"platforms,omitempty"`
	// Components are the component releases of this platform version,
	// sorted by name (Parse sorts them; names are unique).
	Components []Component `json:"components" yaml:"components"`
}

// Component is one component release inside a platform release.
type Component struct {
	// Name of the component (a Slipway service), same rules as
	// Manifest.Name plus '_'.
	Name string `json:"name" yaml:"name"`
	// Version is the component's own SemVer, without "v".
	Version string `json:"version" yaml:"version"`
	// Tag is the git tag of the component release, e.g. "v2.3.1" or
	// "api/v2.3.1" (optional; it locates the release's commits).
	Tag string `json:"tag,omitempty" yaml:"tag,omitempty"`
	// Image is the image repository without tag or digest, e.g.
	// "ghcr.io/acme/api".
	Image string `json:"image" yaml:"image"`
	// Digest is "sha256:<64 hex>" of the image index (multi-arch) or of the
	// single image manifest.
	Digest string `json:"digest" yaml:"digest"`
	// Platforms are the index's platforms, e.g. "linux/arm64" or
	// "linux/arm/v7" (optional: read from the registry when empty).
	Platforms []string `json:"platforms,omitempty" yaml:"platforms,omitempty"`
	// Labels are the service's labels from slipway.yaml, e.g.
	// tier: lite|standard (see docs/bundle.md for the ones bundles read).
	Labels map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	// Notes is the component release's changelog section (Markdown, as
	// release-please and Slipway write it).
	Notes string `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Ref returns "image@digest".
func (c Component) Ref() string { return c.Image + "@" + c.Digest }

// Component returns the component called name, or false.
func (m *Manifest) Component(name string) (Component, bool) {
	for _, c := range m.Components {
		if c.Name == name {
			return c, true
		}
	}
	return Component{}, false
}

// Parse reads a manifest in YAML or JSON (JSON when the first non-blank
// byte is '{'), refusing unknown fields, then sorts the components by name,
// turns Created into UTC and validates. source names the input in errors
// (a path, or "oci://…/platform.yaml").
func Parse(data []byte, source string) (*Manifest, error) {
	if source == "" {
		source = "platform manifest"
	}
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d allowed", ErrInvalid, source, len(data), MaxManifestSize)
	}
	var m Manifest
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%w: %s is not valid JSON for a manifest: %v", ErrInvalid, source, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: %s holds more than one JSON value: keep one manifest per file", ErrInvalid, source)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: %s is empty: expected apiVersion: %s, kind: %s, name, version, created and components", ErrInvalid, source, APIVersion, Kind)
			}
			return nil, fmt.Errorf("%w: %s is not valid YAML for a manifest: %v", ErrInvalid, source, err)
		}
		var extra yaml.Node
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s holds more than one YAML document: keep one manifest per file", ErrInvalid, source)
		}
	}
	m.normalize()
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return &m, nil
}

// normalize puts a parsed manifest in canonical form: UTC time, components
// sorted by name. It changes nothing a reader could rely on.
func (m *Manifest) normalize() {
	m.Created = m.Created.UTC()
	slices.SortStableFunc(m.Components, func(a, b Component) int { return strings.Compare(a.Name, b.Name) })
}

// YAML encodes the manifest, after validating it, components sorted.
func (m *Manifest) YAML() ([]byte, error) {
	c, err := m.canonical()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode platform manifest %s %s: %w", m.Name, m.Version, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// JSON encodes the manifest, after validating it, components sorted,
// indented and ending in a newline.
func (m *Manifest) JSON() ([]byte, error) {
	c, err := m.canonical()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode platform manifest %s %s: %w", m.Name, m.Version, err)
	}
	return append(b, '\n'), nil
}

func (m *Manifest) canonical() (*Manifest, error) {
	c := *m
	c.Components = slices.Clone(m.Components)
	c.normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

var (
	// nameRE: a DNS label, so a name can be a chart, file or project name.
	nameRE      = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	componentRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$`)
	digestRE    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	platformRE  = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$`)
	// repoRE: registry host[:port] and path components as the OCI
	// distribution spec allows them (lowercase).
	repoRE = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9]+([._-][a-z0-9]+)*)*(:[0-9]+)?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)+$`)
	// tagRE: git ref name characters a release tag uses.
	tagRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/+-]*$`)
)

// Validate checks every field and returns the first problem, wrapping
// ErrInvalid, naming the field and saying how to fix it.
func (m *Manifest) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
	}
	if m.APIVersion != APIVersion {
		return bad("apiVersion", "%q is not supported: write apiVersion: %s", m.APIVersion, APIVersion)
	}
	if m.Kind != Kind {
		return bad("kind", "%q: write kind: %s", m.Kind, Kind)
	}
	if !nameRE.MatchString(m.Name) {
		return bad("name", "%q must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. acme)", m.Name)
	}
	if err := checkVersion(m.Version); err != nil {
		return bad("version", "%v", err)
	}
	if m.Created.IsZero() {
		return bad("created", "missing: write the release time in RFC 3339, e.g. created: 2026-11-28T10:00:00Z")
	}
	if y := m.Created.UTC().Year(); y < 1970 || y > 9999 {
		return bad("created", "year %d is out of range: write the release time in RFC 3339, e.g. created: 2026-11-28T10:00:00Z", y)
	}
	if err := checkPlatforms(m.Platforms); err != nil {
		return bad("platforms", "%v", err)
	}
	if len(m.Components) == 0 {
		return bad("components", "empty: a platform release pins at least one component")
	}
	seen := map[string]bool{}
	for i, c := range m.Components {
		where := fmt.Sprintf("components[%d]", i)
		if c.Name != "" {
			where = fmt.Sprintf("components[%d] (%s)", i, c.Name)
		}
		if err := c.validate(); err != nil {
			return fmt.Errorf("%w: %s.%v", ErrInvalid, where, err)
		}
		if seen[c.Name] {
			return bad(where+".name", "component %s is listed twice: keep one entry per component", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

func (c Component) validate() error {
	if !componentRE.MatchString(c.Name) {
		return fmt.Errorf("name: %q must be 1-63 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit", c.Name)
	}
	if err := checkVersion(c.Version); err != nil {
		return fmt.Errorf("version: %v", err)
	}
	if c.Tag != "" && (!tagRE.MatchString(c.Tag) || strings.Contains(c.Tag, "..") || strings.HasSuffix(c.Tag, ".lock")) {
		return fmt.Errorf("tag: %q is not a git tag name (e.g. v1.2.3 or api/v1.2.3)", c.Tag)
	}
	if c.Image == "" {
		return errors.New("image: missing: write the image repository, e.g. ghcr.io/acme/api")
	}
	if strings.Contains(c.Image, "@") || strings.LastIndex(c.Image, ":") > strings.LastIndex(c.Image, "/") {
		return fmt.Errorf("image: %q has a tag or digest: write the repository alone (ghcr.io/acme/api) and the digest under digest:", c.Image)
	}
	if !repoRE.MatchString(c.Image) || len(c.Image) > 255 {
		return fmt.Errorf("image: %q is not an image repository (lowercase registry/path, e.g. ghcr.io/acme/api)", c.Image)
	}
	if !digestRE.MatchString(c.Digest) {
		return fmt.Errorf("digest: %q is not sha256:<64 lowercase hex>: write the digest the registry reports for the image index (e.g. `crane digest %s:%s`)", c.Digest, c.Image, c.Version)
	}
	if err := checkPlatforms(c.Platforms); err != nil {
		return fmt.Errorf("platforms: %v", err)
	}
	for k := range c.Labels {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\r\n") {
			return fmt.Errorf("labels: key %q is empty or holds blanks", k)
		}
	}
	return nil
}

func checkVersion(v string) error {
	if strings.HasPrefix(v, "v") {
		return fmt.Errorf("%q: write the version without the leading v (%s)", v, strings.TrimPrefix(v, "v"))
	}
	if _, err := semver.StrictNewVersion(v); err != nil {
		return fmt.Errorf("%q is not a SemVer 2.0 version such as 1.4.0: %v", v, err)
	}
	return nil
}

func checkPlatforms(ps []string) error {
	seen := map[string]bool{}
	for _, p := range ps {
		if !platformRE.MatchString(p) {
			return fmt.Errorf("%q is not os/arch[/variant] in lowercase, e.g. linux/amd64 or linux/arm/v7", p)
		}
		if seen[p] {
			return fmt.Errorf("%s is listed twice", p)
		}
		seen[p] = true
	}
	return nil
}
