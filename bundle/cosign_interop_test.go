package bundle_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/bundle"
)

// TestCosignVerifyBlob runs the commands docs/bundle.md gives self-hosters
// with the real cosign CLI: verify-blob accepts SHA256SUMS.sig and
// SHA256SUMS.sigstore.json with the vendor's key, and refuses both once
// SHA256SUMS changes. Opt-in, because cosign is not packaged and takes
// minutes to build: $SLIPWAY_COSIGN3 names a cosign v3 binary
// (go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3),
// $SLIPWAY_COSIGN a cosign v2 one (…/cosign/v2/cmd/cosign@v2.6.5; it reads
// only the .sig form).
func TestCosignVerifyBlob(t *testing.T) {
	bins := map[string]string{"v3": os.Getenv("SLIPWAY_COSIGN3"), "v2": os.Getenv("SLIPWAY_COSIGN")}
	if bins["v3"] == "" && bins["v2"] == "" {
		t.Skip("\n\n*** SKIPPED: cosign verify-blob interoperability: SLIPWAY_COSIGN3 and SLIPWAY_COSIGN unset (go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3) ***\n\n")
	}
	f := newFixture(t, inProcessRegistry(t))
	res := f.build(t, f.options(f.manifest(t), filepath.Join(t.TempDir(), "b")))
	cosign := func(bin string, dir string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"), "SIGSTORE_NO_CACHE=true")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	tampered := copyDir(t, res.Dir)
	sums := filepath.Join(tampered, bundle.SumsFile)
	if err := os.WriteFile(sums, append(readFile(t, sums), "0000000000000000000000000000000000000000000000000000000000000000  evil\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for version, bin := range bins {
		if bin == "" {
			continue
		}
		forms := [][]string{{"--signature", bundle.SigFile}}
		if version == "v3" {
			forms = append(forms, []string{"--bundle", bundle.SigstoreFile})
		}
		for _, form := range forms {
			args := append(append([]string{"verify-blob", "--key", f.pubPath}, form...), "--insecure-ignore-tlog=true", bundle.SumsFile)
			if out, err := cosign(bin, res.Dir, args...); err != nil || !strings.Contains(out, "Verified OK") {
				t.Errorf("cosign %s %s: %v\n%s", version, strings.Join(args, " "), err, out)
			}
			if out, err := cosign(bin, tampered, args...); err == nil {
				t.Errorf("cosign %s accepted a changed SHA256SUMS with %s:\n%s", version, form[1], out)
			}
		}
	}
}
