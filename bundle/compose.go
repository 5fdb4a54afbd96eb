package bundle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/slipway/slipway/platform"
)

// Tiers of a component, from its `tier` label: lite components always run;
// standard ones are optional and start with `--profile standard`.
const (
	TierLabel       = "tier"
	TierLite        = "lite"
	TierStandard    = "standard"
	StandardProfile = "standard"
)

// composeOutput is what the compose step produced.
type composeOutput struct {
	Variables  []Variable
	EnvExample []byte
	// Volumes are the named volumes services mount (to back up).
	Volumes []VolumeUse
}

// VolumeUse is a named volume and the services that mount it.
type VolumeUse struct {
	Name string
	// DockerName is the volume's name in Docker: its name: field, else
	// "<project>_<Name>".
	DockerName string
	Services   []string
}

// tierOf returns a component's tier, refusing unknown values.
func tierOf(c platform.Component) (string, error) {
	switch t := c.Labels[TierLabel]; t {
	case "", TierLite:
		return TierLite, nil
	case TierStandard:
		return TierStandard, nil
	default:
		return "", fmt.Errorf("component %s has label %s: %q: use %s (always runs) or %s (optional, started with --profile %s)", c.Name, TierLabel, t, TierLite, TierStandard, StandardProfile)
	}
}

func (b *build) buildCompose(ctx context.Context) error {
	src := b.appPath(AppComposeDir)
	if !isDir(src) {
		b.skip(fmt.Sprintf("no Compose bundle: the app repository has no %s/ skeleton (compose.yaml)", AppComposeDir))
		return nil
	}
	label := AppComposeDir + "/compose.yaml"
	content, err := os.ReadFile(filepath.Join(src, "compose.yaml"))
	if err != nil {
		for _, alt := range []string{"compose.yml", "docker-compose.yaml", "docker-compose.yml"} {
			if _, aerr := os.Stat(filepath.Join(src, alt)); aerr == nil {
				return fmt.Errorf("%s/%s: rename it to compose.yaml, the name the bundle ships", AppComposeDir, alt)
			}
		}
		return fmt.Errorf("%s: %w", label, err)
	}
	var skippedEnv bool
	err = copyTree(src, b.out(ComposeDir), AppComposeDir, func(rel string) bool {
		if rel == ".env" {
			skippedEnv = true // may hold real secrets; never shipped
			return true
		}
		return rel == "compose.yaml" || rel == ".env.example"
	})
	if err != nil {
		return err
	}
	if skippedEnv {
		b.log.Warn("bundle: " + AppComposeDir + "/.env is not shipped (it may hold secrets); .env.example is")
	}
	filled, err := fillCompose(content, label, b.m)
	if err != nil {
		return err
	}
	model, _, err := decodeOne(filled, label)
	if err != nil {
		return err
	}
	if err := checkLocalFiles(model.(map[string]any), label); err != nil {
		return err
	}
	vars := composeVariables(model.(map[string]any))
	skeletonEnv, err := os.ReadFile(filepath.Join(src, ".env.example"))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	set, err := parseDotenv(skeletonEnv, AppComposeDir+"/.env.example")
	if err != nil {
		return err
	}
	env := renderEnvExample(b.m, skeletonEnv, set, vars, envFiles(model.(map[string]any)))
	if err := b.write(ComposeFile, filled); err != nil {
		return err
	}
	if err := b.write(EnvExampleFile, env); err != nil {
		return err
	}
	if err := validateCompose(ctx, b.out(ComposeDir), b.m, validationEnv(vars, set)); err != nil {
		return err
	}
	b.compose = &composeOutput{Variables: vars, EnvExample: env, Volumes: namedVolumes(model.(map[string]any), b.m.Name)}
	return nil
}

// pinnedImageRE is an image reference (with or without a tag) that names
// a sha256 digest and holds no interpolation.
var pinnedImageRE = regexp.MustCompile(`^[^\s$@]+@sha256:[0-9a-f]{64}$`)

// fillCompose writes each component's digest-pinned image into its
// service and gives standard-tier services the standard profile. Every
// other service must already pin its image by digest.
func fillCompose(content []byte, label string, m *platform.Manifest) ([]byte, error) {
	model, _, err := decodeOne(content, label)
	if err != nil {
		return nil, err
	}
	services, _ := asMap(model)["services"].(map[string]any)
	if services == nil {
		return nil, fmt.Errorf("%s has no services: mapping", label)
	}
	for _, c := range m.Components {
		tier, err := tierOf(c)
		if err != nil {
			return nil, err
		}
		svc, ok := services[c.Name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: component %s has no service: add a service named %s (Slipway fills its image)", label, c.Name, c.Name)
		}
		if _, ok := svc["image"]; !ok {
			return nil, fmt.Errorf("%s: services.%s has no image: key: write `image: \"\"` (Slipway fills it with %s)", label, c.Name, c.Ref())
		}
		if content, err = setScalar(content, label, "services."+c.Name+".image", c.Ref()); err != nil {
			return nil, err
		}
		profiles := stringList(svc["profiles"])
		switch {
		case tier == TierLite && len(profiles) > 0:
			return nil, fmt.Errorf("%s: services.%s has profiles %v, but component %s is tier %s and must start with a plain `docker compose up`: remove its profiles (or label it %s: %s)", label, c.Name, profiles, c.Name, TierLite, TierLabel, TierStandard)
		case tier == TierStandard && len(profiles) == 0:
			if content, err = insertFirstKey(content, label, []string{"services", c.Name}, "profiles", []any{StandardProfile}, `["`+StandardProfile+`"]`); err != nil {
				return nil, err
			}
		case tier == TierStandard && !slices.Contains(profiles, StandardProfile):
			return nil, fmt.Errorf("%s: services.%s has profiles %v without %q, but component %s is tier %s: add %s to its profiles", label, c.Name, profiles, StandardProfile, c.Name, TierStandard, StandardProfile)
		}
	}
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if _, ok := m.Component(n); ok {
			continue
		}
		svc := asMap(services[n])
		img, _ := svc["image"].(string)
		if img == "" {
			return nil, fmt.Errorf("%s: services.%s has no image (a build: alone ships sources, not an image): push it and write image: REPO@sha256:…", label, n)
		}
		if !pinnedImageRE.MatchString(img) {
			return nil, fmt.Errorf("%s: services.%s image %q is not pinned by digest: write %s@sha256:<digest> (find it with `crane digest %s` or `docker buildx imagetools inspect %s`)", label, n, img, img, img, img)
		}
	}
	return content, nil
}

// checkLocalFiles refuses files the project reads when it loads (env_file,
// include, configs and secrets from a file) that lie outside the compose
// folder: the bundle ships only that folder, so they would be missing on
// every installation, and would be read from the build machine here.
func checkLocalFiles(model map[string]any, label string) error {
	paths := envFilesList(model)
	for _, inc := range asSlice(model["include"]) {
		switch t := inc.(type) {
		case string:
			paths = append(paths, t)
		case map[string]any:
			paths = append(paths, stringList(t["path"])...)
			if p, ok := t["path"].(string); ok {
				paths = append(paths, p)
			}
		}
	}
	for _, section := range []string{"configs", "secrets"} {
		for _, def := range asMap(model[section]) {
			if p, ok := asMap(def)["file"].(string); ok {
				paths = append(paths, p)
			}
		}
	}
	for _, p := range paths {
		clean := filepath.ToSlash(filepath.Clean(p))
		if filepath.IsAbs(p) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(p, "$") {
			return fmt.Errorf("%s reads %s, which is not a file inside %s/: the bundle ships only that folder, so move the file there", label, p, AppComposeDir)
		}
	}
	return nil
}

// validateCompose loads the bundle's compose.yaml with compose-go, as
// `docker compose` would, once with the default (lite) services and once
// with --profile standard, and checks which component services run and
// what they run.
func validateCompose(ctx context.Context, dir string, m *platform.Manifest, env map[string]string) error {
	envList := make([]string, 0, len(env))
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	slices.Sort(envList)
	for _, profiles := range [][]string{nil, {StandardProfile}} {
		what := "without profiles"
		if profiles != nil {
			what = "with --profile " + StandardProfile
		}
		opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
			cli.WithName(m.Name), cli.WithWorkingDirectory(dir), cli.WithEnv(envList), cli.WithProfiles(profiles))
		if err != nil {
			return err
		}
		p, err := opts.LoadProject(ctx)
		if err != nil {
			return fmt.Errorf("%s does not load %s (compose-go): %w; if a variable needs a realistic example value, set it in %s/.env.example", ComposeFile, what, err, AppComposeDir)
		}
		for _, c := range m.Components {
			tier, _ := tierOf(c)
			svc, enabled := p.Services[c.Name]
			if want := profiles != nil || tier == TierLite; enabled != want {
				return fmt.Errorf("%s loaded %s: service %s (tier %s) enabled=%v, want %v", ComposeFile, what, c.Name, tier, enabled, want)
			}
			if enabled && svc.Image != c.Ref() {
				return fmt.Errorf("%s loaded %s: service %s runs %q, want %s", ComposeFile, what, c.Name, svc.Image, c.Ref())
			}
		}
	}
	return nil
}

// namedVolumes lists the top-level named volumes and who mounts them.
func namedVolumes(model map[string]any, project string) []VolumeUse {
	var out []VolumeUse
	vols := asMap(model["volumes"])
	names := make([]string, 0, len(vols))
	for n := range vols {
		names = append(names, n)
	}
	slices.Sort(names)
	services := asMap(model["services"])
	for _, n := range names {
		u := VolumeUse{Name: n, DockerName: project + "_" + n}
		if explicit, ok := asMap(vols[n])["name"].(string); ok && explicit != "" {
			u.DockerName = explicit
		}
		for sname, s := range services {
			for _, v := range asSlice(asMap(s)["volumes"]) {
				src := ""
				switch t := v.(type) {
				case string:
					src, _, _ = strings.Cut(t, ":")
				case map[string]any:
					src, _ = t["source"].(string)
				}
				if src == n && !slices.Contains(u.Services, sname) {
					u.Services = append(u.Services, sname)
				}
			}
		}
		slices.Sort(u.Services)
		out = append(out, u)
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func stringList(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
