package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"
)

// UpgradeStop is a platform version every upgrade must pass through: an
// installation older than Version upgrades to Version first (and lets it
// finish its migrations) before going further. GitLab calls these
// "required upgrade stops"; they are where a contract migration or a data
// rewrite needs the previous step done.
//
// They are kept in the app repository, deploy/upgrade-stops.yaml:
//
//	stops:
//	  - version: 2.0.0
//	    reason: 2.0.0 finishes moving orders to the new schema; later versions read only the new columns
type UpgradeStop struct {
	Version string `yaml:"version"`
	Reason  string `yaml:"reason"`
}

const maxStopsSize = 1 << 20

// ParseUpgradeStops reads an upgrade-stops file strictly (unknown fields
// refused) and returns the stops sorted by version. source names the file
// in errors.
func ParseUpgradeStops(data []byte, source string) ([]UpgradeStop, error) {
	if len(data) > maxStopsSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", source, len(data), maxStopsSize)
	}
	var f struct {
		Stops []UpgradeStop `yaml:"stops"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v: expected `stops:` with a list of {version: X.Y.Z, reason: …}", source, err)
	}
	seen := map[string]bool{}
	for i, s := range f.Stops {
		v, err := semver.StrictNewVersion(s.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: stops[%d].version %q is not a SemVer version such as 2.0.0 (no leading v)", source, i, s.Version)
		}
		if v.Prerelease() != "" {
			return nil, fmt.Errorf("%s: stops[%d].version %s is a prerelease: a required stop must be a release installations can run", source, i, s.Version)
		}
		if strings.TrimSpace(s.Reason) == "" {
			return nil, fmt.Errorf("%s: stops[%d] (%s) has no reason: say what the stop finishes, so the upgrade guide can tell self-hosters why they must stop there", source, i, s.Version)
		}
		if seen[v.String()] {
			return nil, fmt.Errorf("%s: stops[%d]: version %s is listed twice", source, i, s.Version)
		}
		seen[v.String()] = true
		f.Stops[i].Reason = strings.TrimSpace(s.Reason)
	}
	slices.SortFunc(f.Stops, func(a, b UpgradeStop) int { return compareVersions(a.Version, b.Version) })
	return f.Stops, nil
}

// StopsBetween returns the stops an upgrade to `to` must pass through: those
// after `from` and before `to`; with from == "" (unknown), every stop
// before `to`.
func StopsBetween(stops []UpgradeStop, from, to string) []UpgradeStop {
	var out []UpgradeStop
	for _, s := range stops {
		if compareVersions(s.Version, to) >= 0 {
			continue
		}
		if from != "" && compareVersions(s.Version, from) <= 0 {
			continue
		}
		out = append(out, s)
	}
	return out
}

// compareVersions compares two SemVer strings; unparsable ones sort first
// (callers validate before).
func compareVersions(a, b string) int {
	va, ea := semver.NewVersion(a)
	vb, eb := semver.NewVersion(b)
	switch {
	case ea != nil && eb != nil:
		return strings.Compare(a, b)
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	return va.Compare(vb)
}

func versionLess(a, b string) bool { return compareVersions(a, b) < 0 }
