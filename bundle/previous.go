package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/slipway/slipway/platform"
	"github.com/slipway/slipway/trust"
)

// Previous is the verified bundle of the platform version installations
// upgrade from.
type Previous struct {
	Dir      string
	Manifest *platform.Manifest
}

// OpenPrevious verifies a bundle directory offline (checksums and
// signature with keys) and reads its manifest. An unverified previous
// bundle would let anyone who can edit it steer the upgrade guide.
func OpenPrevious(ctx context.Context, dir string, keys trust.Policy) (*Previous, error) {
	v, err := VerifyDir(ctx, dir, VerifyOptions{Keys: keys, Offline: true})
	if err != nil {
		return nil, fmt.Errorf("previous bundle: %w", err)
	}
	return &Previous{Dir: dir, Manifest: v.Manifest}, nil
}

// values returns the previous chart's values.yaml, flattened; empty when
// that bundle had no chart.
func (p *Previous) values() (map[string]string, error) {
	matches, err := filepath.Glob(filepath.Join(p.Dir, ChartDir, "*.tgz"))
	if err != nil || len(matches) == 0 {
		return map[string]string{}, err
	}
	ch, err := loader.LoadFile(matches[0])
	if err != nil {
		return nil, fmt.Errorf("previous bundle chart %s: %w", matches[0], err)
	}
	for _, f := range ch.Raw {
		if f.Name == "values.yaml" {
			return flattenValues(f.Data, "previous "+ChartDir+"/values.yaml")
		}
	}
	return map[string]string{}, nil
}

// envSettings describes the previous Compose bundle's variables.
func (p *Previous) envSettings() (map[string]string, error) {
	content, err := os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(ComposeFile)))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	model, _, err := decodeOne(content, "previous "+ComposeFile)
	if err != nil {
		return nil, err
	}
	env, err := os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(EnvExampleFile)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	set, err := parseDotenv(env, "previous "+EnvExampleFile)
	if err != nil {
		return nil, err
	}
	return envSettings(composeVariables(asMap(model)), set), nil
}
