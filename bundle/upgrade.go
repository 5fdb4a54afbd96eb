package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/slipway/slipway/platform"
)

// SettingChange is one setting that differs between two bundles.
type SettingChange struct {
	Key string
	// Before and After describe the setting ("" when absent).
	Before, After string
}

func (b *build) writeUpgradeGuide(context.Context) error {
	stops, err := b.upgradeStops()
	if err != nil {
		return err
	}
	in := upgradeInput{m: b.m, prev: b.previousManifest(), stops: stops, notes: b.notes, chart: b.chart, compose: b.compose, upgrades: b.upgrades, pushTarget: b.opts.PushTarget}
	in.migrationComponents = b.migrationComponents()
	if p := b.opts.Previous; p != nil {
		if b.compose != nil {
			before, err := p.envSettings()
			if err != nil {
				return err
			}
			in.envChanges = diffSettings(before, envSettings(b.compose.Variables, mustDotenv(b.compose.EnvExample)))
		}
		if b.chart != nil {
			before, err := p.values()
			if err != nil {
				return err
			}
			after, err := flattenValues(b.chart.Values, AppChartDir+"/values.yaml")
			if err != nil {
				return err
			}
			in.valueChanges = diffSettings(withoutImagePins(before, p.Manifest), withoutImagePins(after, b.m))
		}
	}
	return b.write(UpgradeFile, []byte(renderUpgradeGuide(in)))
}

func (b *build) upgradeStops() ([]UpgradeStop, error) {
	data, err := os.ReadFile(b.appPath(AppStopsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseUpgradeStops(data, AppStopsFile)
}

type upgradeInput struct {
	m, prev             *platform.Manifest
	stops               []UpgradeStop
	notes               map[string][]Release
	chart               *chartOutput
	compose             *composeOutput
	envChanges          []SettingChange
	valueChanges        []SettingChange
	migrationComponents []string
	upgrades            []Footer
	pushTarget          string
}

// renderUpgradeGuide writes UPGRADE.md: the upgrade path (required
// stops), what to back up, breaking changes, changed settings, upgrade
// notes and the commands for Helm and Compose.
func renderUpgradeGuide(in upgradeInput) string {
	var b strings.Builder
	m := in.m
	fmt.Fprintf(&b, "# Upgrading to %s %s\n\n", m.Name, m.Version)
	from := ""
	if in.prev != nil {
		from = in.prev.Version
		fmt.Fprintf(&b, "This guide covers the upgrade from %s %s.\n", in.prev.Name, in.prev.Version)
	} else {
		b.WriteString("This bundle was built without the previous platform version, so the changed settings are not listed: compare your .env and values with this bundle's before upgrading.\n")
	}

	b.WriteString("\n## 1. Upgrade path\n\n")
	path := StopsBetween(in.stops, from, m.Version)
	switch {
	case len(path) == 0 && in.prev != nil:
		fmt.Fprintf(&b, "Upgrade from %s directly to %s: no required stop lies between them.\n", in.prev.Version, m.Version)
	case len(path) == 0:
		fmt.Fprintf(&b, "No required upgrade stop lies before %s: any earlier version upgrades directly.\n", m.Version)
	default:
		if in.prev != nil {
			fmt.Fprintf(&b, "From %s, upgrade through these versions in order, letting each one start completely (its migrations finish) before the next:\n\n", in.prev.Version)
		} else {
			b.WriteString("If you run a version older than a stop below, upgrade to that stop first and let it start completely (its migrations finish) before going further:\n\n")
		}
		for _, s := range path {
			fmt.Fprintf(&b, "1. **%s**: %s\n", s.Version, s.Reason)
		}
		fmt.Fprintf(&b, "1. **%s** (this bundle)\n", m.Version)
	}
	for _, s := range in.stops {
		if s.Version == m.Version {
			fmt.Fprintf(&b, "\n%s is itself a required stop: later versions must be installed from it. %s\n", m.Version, s.Reason)
		}
	}

	b.WriteString("\n## 2. Back up first\n\n")
	b.WriteString(backupAdvice(in))

	chs, removed := changes(m, in.prev)
	b.WriteString("\n## 3. Breaking changes\n\n")
	var breaking []string
	for _, ch := range chs {
		if !ch.Changed() {
			continue
		}
		for _, body := range sectionsOf(in.notes[ch.C.Name], BreakingSection) {
			breaking = append(breaking, fmt.Sprintf("### %s %s\n\n%s\n", ch.C.Name, ch.C.Version, shiftHeadings(body, 1)))
		}
	}
	for _, r := range removed {
		breaking = append(breaking, fmt.Sprintf("### %s removed\n\n%s %s is no longer part of the platform: its data is not migrated by this release.\n", r.Name, r.Name, r.Version))
	}
	if len(breaking) == 0 {
		b.WriteString("None announced by the components' changelogs.\n")
	} else {
		b.WriteString(strings.Join(breaking, "\n"))
	}

	b.WriteString("\n## 4. Changed settings\n\n")
	switch {
	case in.prev == nil:
		b.WriteString("Unknown: no previous bundle was given when this one was built.\n")
	case len(in.envChanges) == 0 && len(in.valueChanges) == 0:
		fmt.Fprintf(&b, "None since %s: your .env and Helm values carry over as they are.\n", in.prev.Version)
	default:
		if len(in.envChanges) > 0 {
			b.WriteString("Compose variables (.env):\n\n" + settingsTable(in.envChanges, "variable") + "\n")
		}
		if len(in.valueChanges) > 0 {
			b.WriteString("Helm chart values (values.yaml):\n\n" + settingsTable(in.valueChanges, "key") + "\n")
		}
	}
	if len(in.upgrades) > 0 {
		b.WriteString("\nUpgrade notes from the components' commits:\n\n")
		for _, f := range in.upgrades {
			fmt.Fprintf(&b, "* **%s %s:** %s (%s)\n", f.Component, f.Version, oneLine(f.Text), short(f.SHA))
		}
	}
	if len(in.migrationComponents) > 0 {
		fmt.Fprintf(&b, "\nDatabase schemas change in this release (%s): read MIGRATIONS.md before upgrading.\n", strings.Join(in.migrationComponents, ", "))
	}

	b.WriteString("\n## 5. Upgrade\n\n")
	b.WriteString(upgradeCommands(in))
	b.WriteString("\n## If something goes wrong\n\n")
	b.WriteString("Roll forward, never back: do not reinstall the previous version over a database this version has migrated. ")
	b.WriteString("Restore the backups from step 2 only to recover from data loss; otherwise report the problem and install the fixed release that follows. See MIGRATIONS.md.\n")
	return collapseBlankLines(b.String())
}

func backupAdvice(in upgradeInput) string {
	var b strings.Builder
	if in.compose != nil && len(in.compose.Volumes) > 0 {
		b.WriteString("Compose: stop the project (`docker compose -p " + in.m.Name + " stop`) and copy each named volume:\n\n")
		for _, v := range in.compose.Volumes {
			used := "no service"
			if len(v.Services) > 0 {
				used = strings.Join(v.Services, ", ")
			}
			fmt.Fprintf(&b, "* `%s` (used by %s):\n  `docker run --rm -v %s:/data:ro -v \"$PWD\":/backup busybox tar czf /backup/%s.tgz -C /data .`\n", v.DockerName, used, v.DockerName, v.Name)
		}
		b.WriteString("\n")
	}
	if in.chart != nil {
		b.WriteString("Helm: snapshot the release's persistent volumes (`kubectl get pvc -n NAMESPACE -l app.kubernetes.io/instance=RELEASE`) and save your values (`helm get values RELEASE -n NAMESPACE -o yaml > values-before.yaml`).\n\n")
	}
	if len(in.migrationComponents) > 0 {
		fmt.Fprintf(&b, "Databases: dump the database of each component with migrations (%s) with its own tool (e.g. `pg_dump`) and check the dump restores.\n", strings.Join(in.migrationComponents, ", "))
	} else {
		b.WriteString("Databases: dump every database the platform uses with its own tool (e.g. `pg_dump`).\n")
	}
	return b.String()
}

func upgradeCommands(in upgradeInput) string {
	var b strings.Builder
	b.WriteString("Verify the new bundle first, as its README.md says (`slipway bundle verify . --key slipway.pub`, or sha256sum and cosign verify-blob).\n\n")
	if in.chart != nil {
		where := "oci://REGISTRY/REPOSITORY/" + in.chart.Name
		if in.pushTarget != "" {
			where = strings.TrimSuffix(in.pushTarget, "/") + "/" + in.chart.Name
		}
		fmt.Fprintf(&b, "Helm (the chart is also in this bundle as %s):\n\n", in.chart.Archive)
		fmt.Fprintf(&b, "```sh\nhelm upgrade --install RELEASE %s --version %s -n NAMESPACE -f your-values.yaml\n```\n\n", where, in.chart.Version)
		b.WriteString("Keep your own values in your-values.yaml and do not set `<component>.image.*` there: the chart pins every image by digest.\n\n")
	}
	if in.compose != nil {
		b.WriteString("Compose, from the new bundle's compose/ folder, with the .env of your current installation:\n\n")
		fmt.Fprintf(&b, "```sh\ncp /path/to/current/compose/.env .env\ndocker compose -p %s pull\ndocker compose -p %s up -d                      # lite services\ndocker compose -p %s --profile %s up -d   # lite and standard services\n```\n", in.m.Name, in.m.Name, in.m.Name, StandardProfile)
	}
	return b.String()
}

func settingsTable(chs []SettingChange, what string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | before | now |\n| --- | --- | --- |\n", what)
	for _, c := range chs {
		before, after := c.Before, c.After
		if before == "" {
			before = "(not present)"
		}
		if after == "" {
			after = "(removed)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Key, cell(before), cell(after))
	}
	return b.String()
}

// cell makes a value safe inside a Markdown table cell.
func cell(s string) string {
	s = oneLine(s)
	if len(s) > 120 {
		s = s[:117] + "…"
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// diffSettings compares two key → description maps.
func diffSettings(before, after map[string]string) []SettingChange {
	var out []SettingChange
	for k, a := range after {
		if bv, ok := before[k]; !ok || bv != a {
			out = append(out, SettingChange{Key: k, Before: before[k], After: a})
		}
	}
	for k, bv := range before {
		if _, ok := after[k]; !ok {
			out = append(out, SettingChange{Key: k, Before: bv})
		}
	}
	slices.SortFunc(out, func(a, b SettingChange) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// envSettings describes each Compose variable the way a self-hoster
// meets it: its example value, else required, else its default.
func envSettings(vars []Variable, example map[string]string) map[string]string {
	out := map[string]string{}
	for _, v := range vars {
		switch val, ok := example[v.Name]; {
		case ok && val != "":
			out[v.Name] = "example " + val
		case v.Required:
			out[v.Name] = "required"
		case v.Default != "":
			out[v.Name] = "default " + v.Default
		default:
			out[v.Name] = "optional"
		}
	}
	return out
}

func mustDotenv(data []byte) map[string]string {
	m, err := parseDotenv(data, EnvExampleFile)
	if err != nil {
		return map[string]string{}
	}
	return m
}

// flattenValues turns values.yaml into dotted keys and their YAML values.
func flattenValues(data []byte, label string) (map[string]string, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 {
			if prefix == "" {
				return
			}
			b, _ := json.Marshal(v)
			out[prefix] = string(b)
			return
		}
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			walk(key, x)
		}
	}
	walk("", v)
	return out, nil
}

// withoutImagePins drops the keys Slipway fills, which the component
// table already reports.
func withoutImagePins(values map[string]string, m *platform.Manifest) map[string]string {
	out := map[string]string{}
	for k, v := range values {
		out[k] = v
	}
	if m == nil {
		return out
	}
	for _, c := range m.Components {
		for _, f := range []string{"repository", "digest", "tag"} {
			delete(out, valuesPath(c.Name, f))
		}
	}
	return out
}

// collapseBlankLines keeps at most one blank line between blocks.
func collapseBlankLines(s string) string {
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return s
}
