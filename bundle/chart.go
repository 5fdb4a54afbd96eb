package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/slipway/slipway/platform"
)

// chartOutput is what the chart step produced.
type chartOutput struct {
	Name, Version string
	// Archive is the bundle path of the .tgz.
	Archive string
	// Values is the filled values.yaml.
	Values []byte
}

// The values.yaml keys Slipway fills, per component (docs/bundle.md):
//
//	<component>:
//	  image:
//	    repository: registry.example.com/acme/api
//	    digest: sha256:…
//	    tag: 2.3.0        # only when the skeleton has a tag key
func valuesPath(component, field string) string {
	return component + ".image." + field
}

func (b *build) buildChart(context.Context) error {
	src := b.appPath(AppChartDir)
	if !isDir(src) {
		b.skip(fmt.Sprintf("no Helm chart: the app repository has no %s/ skeleton (Chart.yaml, values.yaml, templates/)", AppChartDir))
		return nil
	}
	stage, err := os.MkdirTemp("", "slipway-chart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if err := copyTree(src, stage, AppChartDir, nil); err != nil {
		return err
	}
	values, err := fillChartSkeleton(stage, b.m)
	if err != nil {
		return err
	}
	ch, err := loader.LoadDir(stage)
	if err != nil {
		return fmt.Errorf("%s: Helm cannot load the chart: %w", AppChartDir, err)
	}
	if err := checkChartDependencies(ch); err != nil {
		return err
	}
	stampChart(ch, b.m.Created)
	rendered, err := renderChart(ch, b.m.Name)
	if err != nil {
		return err
	}
	if err := checkRenderedImages(rendered, b.m, b.log.Warn); err != nil {
		return err
	}
	if err := os.MkdirAll(b.out(ChartDir), 0o755); err != nil {
		return err
	}
	archive, err := chartutil.Save(ch, b.out(ChartDir))
	if err != nil {
		return fmt.Errorf("package chart %s: %w", ch.Name(), err)
	}
	b.chart = &chartOutput{Name: ch.Name(), Version: ch.Metadata.Version, Archive: ChartDir + "/" + filepath.Base(archive), Values: values}
	b.res.Chart, b.res.ChartName = b.chart.Archive, b.chart.Name
	return nil
}

// fillChartSkeleton sets Chart.yaml's version and appVersion to the
// platform version and values.yaml's image fields to the components'
// digests, in place in dir, and returns the new values.yaml.
func fillChartSkeleton(dir string, m *platform.Manifest) ([]byte, error) {
	chartFile := AppChartDir + "/Chart.yaml"
	cy, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: a chart skeleton needs Chart.yaml (apiVersion: v2, name, version)", chartFile, err)
	}
	if cy, err = setScalar(cy, chartFile, "version", m.Version); err != nil {
		return nil, fmt.Errorf("%w (Slipway writes the platform version there; write `version: 0.0.0` in the skeleton)", err)
	}
	_, doc, err := decodeOne(cy, chartFile)
	if err != nil {
		return nil, err
	}
	if hasKey(doc, nil, "appVersion") {
		cy, err = setScalar(cy, chartFile, "appVersion", m.Version)
	} else {
		cy, err = appendTopLevel(cy, chartFile, "appVersion", m.Version, "Added by Slipway: the platform version.")
	}
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), cy, 0o644); err != nil {
		return nil, err
	}

	valuesFile := AppChartDir + "/values.yaml"
	values, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", valuesFile, err)
	}
	if values, err = fillValues(values, valuesFile, m.Components); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "values.yaml"), values, 0o644); err != nil {
		return nil, err
	}
	return values, nil
}

// fillValues pins every component in values.yaml. A component the file
// does not mention gets a new block at the end; one that is there must
// have image.repository and image.digest, which are overwritten.
func fillValues(values []byte, file string, comps []platform.Component) ([]byte, error) {
	for _, c := range comps {
		_, doc, err := decodeOne(values, file)
		if err != nil {
			return nil, err
		}
		if !hasKey(doc, nil, c.Name) {
			block := map[string]any{"image": map[string]any{"repository": c.Image, "digest": c.Digest}}
			values, err = appendTopLevel(values, file, c.Name, block, fmt.Sprintf("Added by Slipway: component %s %s (the skeleton has no %s: entry).", c.Name, c.Version, c.Name))
			if err != nil {
				return nil, err
			}
			continue
		}
		for _, field := range []string{"repository", "digest"} {
			if !hasKey(doc, []string{c.Name, "image"}, field) {
				line := ""
				if n := keyLine(doc, []string{c.Name, "image"}); n > 0 {
					line = fmt.Sprintf(":%d", n)
				} else if n := keyLine(doc, []string{c.Name}); n > 0 {
					line = fmt.Sprintf(":%d", n)
				}
				return nil, fmt.Errorf("%s%s: %s.image has no %s: Slipway fills %s and %s there, so write them in the skeleton, e.g.\n%s:\n  image:\n    repository: \"\"\n    digest: \"\"",
					file, line, c.Name, field, valuesPath(c.Name, "repository"), valuesPath(c.Name, "digest"), c.Name)
			}
		}
		if values, err = setScalar(values, file, valuesPath(c.Name, "repository"), c.Image); err != nil {
			return nil, err
		}
		if values, err = setScalar(values, file, valuesPath(c.Name, "digest"), c.Digest); err != nil {
			return nil, err
		}
		if hasKey(doc, []string{c.Name, "image"}, "tag") {
			if values, err = setScalar(values, file, valuesPath(c.Name, "tag"), c.Version); err != nil {
				return nil, err
			}
		}
	}
	return values, nil
}

// checkChartDependencies refuses a chart whose Chart.yaml names
// dependencies that are not vendored in charts/: the bundle must install
// without reaching other repositories.
func checkChartDependencies(ch *chartv2.Chart) error {
	var have []string
	for _, d := range ch.Dependencies() {
		have = append(have, d.Name())
	}
	for _, d := range ch.Metadata.Dependencies {
		if !slices.Contains(have, d.Name) {
			return fmt.Errorf("%s/Chart.yaml depends on chart %s, which is not in %s/charts/: run `helm dependency build %s` and commit charts/", AppChartDir, d.Name, AppChartDir, AppChartDir)
		}
	}
	return nil
}

// stampChart sets every time Helm writes into the archive to t, so the
// same inputs package to the same bytes (Helm uses the files' modification
// times otherwise).
func stampChart(ch *chartv2.Chart, t time.Time) {
	ch.ModTime, ch.SchemaModTime = t, t
	for _, files := range [][]*common.File{ch.Raw, ch.Templates, ch.Files} {
		for _, f := range files {
			f.ModTime = t
		}
	}
	for _, d := range ch.Dependencies() {
		stampChart(d, t)
	}
}

// renderChart renders the templates with the chart's default values, as
// `helm template` would, so a template error shows up now and not on a
// self-hoster's cluster.
func renderChart(ch *chartv2.Chart, release string) (map[string]string, error) {
	vals, err := commonutil.ToRenderValues(ch, map[string]any{}, common.ReleaseOptions{Name: release, Namespace: "default", IsInstall: true, Revision: 1}, nil)
	if err != nil {
		return nil, fmt.Errorf("chart %s: values: %w", ch.Name(), err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("chart %s does not render with its default values: %w", ch.Name(), err)
	}
	return out, nil
}

// checkRenderedImages refuses a rendered chart that names a component's
// repository without that component's digest (a tag-only reference would
// let the registry decide what runs). A component the default values do
// not render is reported through warn.
func checkRenderedImages(rendered map[string]string, m *platform.Manifest, warn func(string, ...any)) error {
	files := make([]string, 0, len(rendered))
	for f := range rendered {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, c := range m.Components {
		pinned := 0
		for _, f := range files {
			text := rendered[f]
			for i := strings.Index(text, c.Image); i >= 0; {
				rest := text[i+len(c.Image):]
				switch {
				case strings.HasPrefix(rest, "@"+c.Digest) || tagThenDigest(rest, c.Digest):
					pinned++
				case rest != "" && isRepoChar(rest[0]):
					// another repository sharing this prefix
				default:
					return fmt.Errorf("chart template %s renders image %s without the digest %s: write the image as \"{{ .Values.%s.image.repository }}@{{ .Values.%s.image.digest }}\"", f, c.Image, c.Digest, c.Name, c.Name)
				}
				next := strings.Index(text[i+1:], c.Image)
				if next < 0 {
					break
				}
				i += 1 + next
			}
		}
		if pinned == 0 {
			warn("bundle: the chart does not render component "+c.Name+" with its default values", "image", c.Ref())
		}
	}
	return nil
}

// tagThenDigest matches ":tag@digest" at the start of rest.
func tagThenDigest(rest, digest string) bool {
	if !strings.HasPrefix(rest, ":") {
		return false
	}
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return false
	}
	for _, r := range rest[1:at] {
		if !isRepoChar(byte(r)) {
			return false
		}
	}
	return strings.HasPrefix(rest[at:], "@"+digest)
}

func isRepoChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/'
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// copyTree copies the regular files and folders of src into dst. A symlink
// or special file is an error: a skeleton must not pull files from outside
// the repository into a signed bundle. skip names files (relative paths)
// not to copy.
func copyTree(src, dst, label string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		slashed := filepath.ToSlash(rel)
		if skip != nil && skip(slashed) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			if err := checkBundlePath(slashed); err != nil {
				return fmt.Errorf("%s/%s: %w", label, slashed, err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		default:
			return fmt.Errorf("%s/%s is %s, not a regular file: replace it with the file itself (a bundle holds plain files only)", label, slashed, fileKind(d.Type()))
		}
	})
}

// fileKind names a non-regular file type for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file (" + m.String() + ")"
}
