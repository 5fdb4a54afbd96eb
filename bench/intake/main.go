// Command intake measures intake of one signed image with an SBOM and SLSA
// provenance from a local registry: oci.Intake (resolve, find signatures
// and attestations in every cosign format, verify them, check the
// requirements) run N times, median and p90, per signing setup. With a
// cosign binary on PATH it times `cosign verify` of the same key-signed
// image beside it.
//
//	go run ./bench/intake -n 100                # the real registry server (docker-registry)
//	go run ./bench/intake -n 100 -registry inprocess
package main

import (
	"context"
	"crypto"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust"
	"github.com/slipway/slipway/trust/sigstorelocal"
)

const (
	commit  = "0123456789abcdef0123456789abcdef01234567"
	issuer  = "https://token.actions.githubusercontent.com"
	subject = "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main"
)

func main() {
	n := flag.Int("n", 100, "intakes per setup")
	registry := flag.String("registry", "distribution", "distribution (Debian's docker-registry server) or inprocess")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "slipway-bench-intake-")
	check(err)
	defer os.RemoveAll(dir)

	host, stop := startRegistry(ctx, *registry, dir)
	defer stop()
	repo := host + "/bench/api"

	key, err := trust.GenerateKey()
	check(err)
	authority, err := sigstorelocal.New()
	check(err)
	rootPath := filepath.Join(dir, "trusted_root.json")
	check(authority.WriteTrustedRoot(rootPath))
	tr, err := trust.LoadTrustedRoot(rootPath)
	check(err)
	pub, err := trust.NewPublicKey(key.Public(), "cosign.pub")
	check(err)
	id, err := trust.NewIdentity(issuer, "", "", `^https://github\.com/acme/api/`)
	check(err)
	sp := &trust.ServicePolicy{
		Service: "api", Repository: repo,
		Signers: trust.Policy{Keys: []trust.PublicKey{pub}, Identities: []trust.Identity{id}, TrustedRoot: tr, TrustedRootSource: rootPath},
		Require: trust.Requirements{SBOM: trust.SBOMAny, Provenance: true},
	}
	logged := sp.Signers
	logged.RequireTlog = true
	spTlog := *sp
	spTlog.Signers = logged

	fmt.Printf("intake of one signed image + SPDX SBOM + SLSA v1 provenance, %s registry at %s, %d runs each\n\n", *registry, host, *n)
	fmt.Printf("%-44s %10s %10s %10s\n", "setup", "median", "p90", "max")
	setups := []struct {
		name   string
		format oci.Format
		signer trust.SignatureMaker
		policy *trust.ServicePolicy
	}{
		{"key, legacy .sig + .att (cosign v2)", oci.FormatSimpleSigning, trust.KeySigner(key), sp},
		{"key, bundles (cosign v3)", oci.FormatSigstoreBundle, trust.KeySigner(key), sp},
		{"keyless + Rekor + TSA, bundles, tlog: true", oci.FormatSigstoreBundle, authority.Keyless(subject, issuer, sigstorelocal.Options{Tlog: true, Timestamp: true}), &spTlog},
	}
	var keyRef oci.Reference
	for i, s := range setups {
		ref, err := ocilocal.Push(ctx, repo, ocilocal.Image{Files: map[string]string{"version": fmt.Sprint(i)}}, oci.Options{})
		check(err)
		release(ctx, ref, s.signer, s.format)
		if i == 0 {
			keyRef = ref
		}
		times := measure(*n, func() error {
			_, err := oci.Intake(ctx, ref, s.policy, oci.IntakeOptions{Commit: commit})
			return err
		})
		report(s.name, times)
	}
	cosignBaseline(ctx, dir, key, keyRef, *n)
}

// release signs ref and attaches an SBOM and provenance, as a CI job does.
func release(ctx context.Context, ref oci.Reference, m trust.SignatureMaker, format oci.Format) {
	attFormat := oci.FormatAttestation
	if format == oci.FormatSigstoreBundle {
		attFormat = format
		_, err := oci.SignBundleWith(ctx, ref, m, oci.Options{})
		check(err)
	} else {
		_, err := oci.SignWith(ctx, ref, m, oci.Options{})
		check(err)
	}
	_, err := oci.Attest(ctx, ref, m, oci.PredicateSPDX, oci.SPDXDocument("api"), oci.AttestOptions{Format: attFormat})
	check(err)
	_, err = oci.Attest(ctx, ref, m, oci.PredicateSLSAv1, oci.SLSAProvenanceV1("https://github.com/acme/api", ".github/workflows/release.yml", commit), oci.AttestOptions{Format: attFormat})
	check(err)
}

func startRegistry(ctx context.Context, kind, dir string) (string, func()) {
	switch kind {
	case "distribution":
		if _, err := os.Stat(ocilocal.DistributionBinary); err != nil {
			fmt.Fprintf(os.Stderr, "%s not found (apt-get install docker-registry), or use -registry inprocess\n", ocilocal.DistributionBinary)
			os.Exit(2)
		}
		srv, err := ocilocal.StartDistribution(ctx, ocilocal.DistributionBinary, dir)
		check(err)
		return srv.Host, func() { _ = srv.Close() }
	case "inprocess":
		reg, err := ocilocal.Start(ocilocal.StartOptions{})
		check(err)
		return reg.Host, func() { _ = reg.Close() }
	}
	fmt.Fprintf(os.Stderr, "-registry %q: use distribution or inprocess\n", kind)
	os.Exit(2)
	return "", nil
}

// cosignBaseline times `cosign verify` of the key-signed legacy image
// (what cosign v2 verifies by default), when cosign is installed.
func cosignBaseline(ctx context.Context, dir string, key crypto.Signer, ref oci.Reference, n int) {
	bin, err := exec.LookPath("cosign")
	if err != nil {
		fmt.Printf("%-44s %10s\n", "cosign verify (baseline)", "n/a: no cosign on PATH; install it (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5) to compare")
		return
	}
	pemKey, err := trust.EncodePublicKeyPEM(key.Public())
	check(err)
	pubPath := filepath.Join(dir, "cosign.pub")
	check(os.WriteFile(pubPath, pemKey, 0o644))
	times := measure(min(n, 20), func() error {
		cmd := exec.CommandContext(ctx, bin, "verify", "--key", pubPath, "--insecure-ignore-tlog=true", "--allow-http-registry", ref.String())
		cmd.Env = append(os.Environ(), "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cosign verify: %v\n%s", err, out)
		}
		return nil
	})
	report("cosign verify --key (baseline, whole process)", times)
}

func measure(n int, f func() error) []time.Duration {
	check(f()) // warm up: connections, first-use initialisation
	out := make([]time.Duration, n)
	for i := range out {
		start := time.Now()
		check(f())
		out[i] = time.Since(start)
	}
	slices.Sort(out)
	return out
}

func report(name string, d []time.Duration) {
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))] }
	fmt.Printf("%-44s %10s %10s %10s\n", name, round(q(0.5)), round(q(0.9)), round(d[len(d)-1]))
}

func round(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
