package versioning

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// DefaultTagFormat is what release-please and semantic-release write for a
// single-package repository.
const DefaultTagFormat = "v{version}"

// TagFormat turns versions into tag names and back, for one component.
// Formats use the placeholders {component} and {version}:
// "v{version}", "{component}-v{version}", "{component}/v{version}".
type TagFormat struct {
	prefix, suffix string
}

// ParseTagFormat checks a format and binds it to a component.
func ParseTagFormat(format, component string) (TagFormat, error) {
	if format == "" {
		format = DefaultTagFormat
	}
	if strings.Count(format, "{version}") != 1 {
		return TagFormat{}, fmt.Errorf("tag format %q must contain {version} exactly once (e.g. \"v{version}\" or \"{component}-v{version}\")", format)
	}
	if strings.Contains(format, "{component}") && component == "" {
		return TagFormat{}, fmt.Errorf("tag format %q uses {component} but no component name is set: pass --component or use \"v{version}\"", format)
	}
	f := strings.ReplaceAll(format, "{component}", component)
	i := strings.Index(f, "{version}")
	return TagFormat{prefix: f[:i], suffix: f[i+len("{version}"):]}, nil
}

// Tag is the tag name of v.
func (f TagFormat) Tag(v *semver.Version) string {
	if v == nil {
		return ""
	}
	return f.prefix + v.String() + f.suffix
}

// Version parses a tag name of this format; ok is false for tags of other
// components and for names that are not strict SemVer (those are ignored,
// never fatal: repositories collect all sorts of tags).
func (f TagFormat) Version(tag string) (v *semver.Version, ok bool) {
	if !strings.HasPrefix(tag, f.prefix) || !strings.HasSuffix(tag, f.suffix) || len(tag) < len(f.prefix)+len(f.suffix) {
		return nil, false
	}
	s := tag[len(f.prefix) : len(tag)-len(f.suffix)]
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil, false
	}
	return v, true
}

// ReleasePleaseTagFormat is the format release-please derives from a
// package's settings: include-component-in-tag, include-v-in-tag and
// tag-separator.
func ReleasePleaseTagFormat(component string, includeComponent, includeV bool, separator string) string {
	v := "{version}"
	if includeV {
		v = "v{version}"
	}
	if !includeComponent || component == "" {
		return v
	}
	if separator == "" {
		separator = "-"
	}
	return "{component}" + separator + v
}
