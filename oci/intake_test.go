package oci_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slipway/slipway/config"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/oci/ocilocal"
	"github.com/slipway/slipway/trust"
	"github.com/slipway/slipway/trust/sigstorelocal"
)

const (
	ghIssuer   = "https://token.actions.githubusercontent.com"
	ciSubject  = "https://github.com/acme/api/.github/workflows/release.yml@refs/heads/main"
	sourceRepo = "https://github.com/acme/api"
	workflow   = ".github/workflows/release.yml"
)

// world is one service's supply chain against one registry: its key, a
// stranger's key, an in-process Sigstore, and slipway.yaml on disk.
type world struct {
	t        *testing.T
	ctx      context.Context
	host     string
	dir      string
	key      crypto.Signer
	stranger crypto.Signer
	sigstore *sigstorelocal.Authority
	images   int
}

func newWorld(t *testing.T, host string) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), host: host, dir: t.TempDir()}
	var err error
	if w.key, err = trust.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if w.stranger, err = trust.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if w.sigstore, err = sigstorelocal.New(); err != nil {
		t.Fatal(err)
	}
	pub, err := trust.EncodePublicKeyPEM(w.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "cosign.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.sigstore.WriteTrustedRoot(filepath.Join(w.dir, "trusted_root.json")); err != nil {
		t.Fatal(err)
	}
	return w
}

// policy loads service api's policy from a slipway.yaml with the given
// require: block, through config and trust as the engine does.
func (w *world) policy(require string) *trust.ServicePolicy {
	w.t.Helper()
	yaml := fmt.Sprintf(`services:
  - name: api
    image: %s/team/api
    keys: [cosign.pub]
    identities:
      - issuer: %s
        subjectRegExp: ^https://github\.com/acme/api/\.github/workflows/
    trustedRoot: trusted_root.json
    require: {%s}
environments:
  - name: dev
    pin: {file: "envs/{env}/{service}/values.yaml", path: image.digest}
`, w.host, ghIssuer, require)
	path := filepath.Join(w.dir, "slipway.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		w.t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		w.t.Fatal(err)
	}
	sp, err := trust.ForService(c, &c.Services[0])
	if err != nil {
		w.t.Fatal(err)
	}
	return sp
}

// image pushes a new image (new content, new digest) to repo (default team/api).
func (w *world) image(repo ...string) oci.Reference {
	w.t.Helper()
	w.images++
	r := "team/api"
	if len(repo) > 0 {
		r = repo[0]
	}
	ref, err := ocilocal.Push(w.ctx, w.host+"/"+r, ocilocal.Image{Files: map[string]string{"app/version": fmt.Sprintf("%d", w.images)}}, oci.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	return ref
}

func (w *world) index(platforms ...string) oci.Reference {
	w.t.Helper()
	w.images++
	var ps []oci.Platform
	for _, p := range platforms {
		parts := strings.Split(p, "/")
		ps = append(ps, oci.Platform{OS: parts[0], Architecture: parts[1]})
	}
	ref, err := ocilocal.PushIndex(w.ctx, w.host+"/team/api", ocilocal.Image{Files: map[string]string{"app/version": fmt.Sprintf("%d", w.images)}}, ps, oci.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	return ref
}

func (w *world) keyless(o sigstorelocal.Options) trust.SignatureMaker {
	return w.sigstore.Keyless(ciSubject, ghIssuer, o)
}

var logged = sigstorelocal.Options{Tlog: true, Timestamp: true}

// sign signs ref in a format: the legacy .sig tag or a bundle.
func (w *world) sign(ref oci.Reference, m trust.SignatureMaker, format oci.Format) oci.Signed {
	w.t.Helper()
	var s oci.Signed
	var err error
	if format == oci.FormatSigstoreBundle {
		s, err = oci.SignBundleWith(w.ctx, ref, m, oci.Options{})
	} else {
		s, err = oci.SignWith(w.ctx, ref, m, oci.Options{})
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// attestationFormat maps a signature format to the attestation format
// cosign pairs with it.
func attestationFormat(f oci.Format) oci.Format {
	if f == oci.FormatSigstoreBundle {
		return f
	}
	return oci.FormatAttestation
}

func (w *world) attest(ref oci.Reference, m trust.SignatureMaker, predicateType string, predicate any, format oci.Format) oci.Signed {
	w.t.Helper()
	s, err := oci.Attest(w.ctx, ref, m, predicateType, predicate, oci.AttestOptions{Format: attestationFormat(format)})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// release does what a CI release job does: sign, attach an SPDX SBOM and
// SLSA v1 provenance of commit, all with m in one format.
func (w *world) release(ref oci.Reference, m trust.SignatureMaker, format oci.Format, commit string) {
	w.t.Helper()
	w.sign(ref, m, format)
	w.attest(ref, m, oci.PredicateSPDX, oci.SPDXDocument("api"), format)
	w.attest(ref, m, oci.PredicateSLSAv1, oci.SLSAProvenanceV1(sourceRepo, workflow, commit), format)
}

func (w *world) intake(ref oci.Reference, sp *trust.ServicePolicy, opts oci.IntakeOptions) (*oci.IntakeResult, error) {
	if opts.Commit == "" {
		opts.Commit = commit
	}
	return oci.Intake(w.ctx, ref, sp, opts)
}

func wantRefused(t *testing.T, res *oci.IntakeResult, err error, ref oci.Reference, rule trust.Rule, mentions ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("intake accepted %s (%+v), want refusal by rule %s", ref, res, rule)
	}
	r, ok := oci.AsRefusal(err)
	if !ok || !errors.Is(err, oci.ErrRefused) {
		t.Fatalf("intake error %v is not a refusal", err)
	}
	if r.Rule != rule {
		t.Fatalf("refused by rule %s, want %s: %v", r.Rule, rule, err)
	}
	for _, m := range append(mentions, ref.String(), rule.Fix()) {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("refusal %q does not mention %q", err, m)
		}
	}
}

// intakeSuite is the suite, run against each registry: the good
// paths in every format, then every attack refused by its own rule.
func intakeSuite(t *testing.T, host string) {
	w := newWorld(t, host)
	full := w.policy("sbom: any, provenance: true")
	other := strings.Repeat("e", 40)

	t.Run("key, legacy formats", func(t *testing.T) {
		ref := w.image()
		sig := w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		sbom := w.attest(ref, trust.KeySigner(w.key), oci.PredicateSPDX, oci.SPDXDocument("api"), oci.FormatSimpleSigning)
		w.attest(ref, trust.KeySigner(w.key), oci.PredicateSLSAv02, oci.SLSAProvenanceV02(sourceRepo, workflow, commit), oci.FormatSimpleSigning)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Signature
		if s.Format != oci.FormatSimpleSigning || s.Signer.KeyID != full.Signers.Keys[0].ID || s.Manifest != sig.Manifest || s.PayloadDigest != sig.PayloadDigest || len(s.Tlog) != 0 {
			t.Errorf("signature = %+v, want the key's legacy signature %+v", s, sig)
		}
		if res.SBOM == nil || res.SBOM.Format != trust.SBOMSPDX || res.SBOM.Evidence.Format != oci.FormatAttestation || res.SBOM.PayloadDigest != sbom.PayloadDigest || res.SBOM.Manifest == "" {
			t.Errorf("SBOM = %+v, want the SPDX attestation %+v", res.SBOM, sbom)
		}
		p := res.Provenance
		if p == nil || p.PredicateType != oci.PredicateSLSAv02 || p.SourceCommit != commit || !strings.Contains(p.BuilderID, "slsa-github-generator") {
			t.Errorf("provenance = %+v", p)
		}
		if res.IsIndex || !reflect.DeepEqual(res.Platforms, []oci.Platform{{OS: "linux", Architecture: "amd64"}}) {
			t.Errorf("platforms = %v", res.Platforms)
		}
	})

	t.Run("keyless with tlog, bundles", func(t *testing.T) {
		sp := w.policy("sbom: cyclonedx, provenance: true, tlog: true")
		ref := w.image()
		m := w.keyless(logged)
		sig := w.sign(ref, m, oci.FormatSigstoreBundle)
		w.attest(ref, m, oci.PredicateCycloneDX, oci.CycloneDXBOM("api"), oci.FormatSigstoreBundle)
		w.attest(ref, m, oci.PredicateSLSAv1, oci.SLSAProvenanceV1(sourceRepo, workflow, commit), oci.FormatSigstoreBundle)
		res, err := w.intake(ref, sp, oci.IntakeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := res.Signature
		if s.Format != oci.FormatSigstoreBundle || s.Signer != (trust.Signer{Issuer: ghIssuer, Subject: ciSubject}) || s.Manifest != sig.Manifest {
			t.Errorf("signature = %+v", s)
		}
		if len(s.Tlog) != 1 || s.Tlog[0].Kind != "dsse" || len(s.Times) != 2 {
			t.Errorf("tlog = %+v, times = %v: want one dsse entry, a log and a TSA time", s.Tlog, s.Times)
		}
		if res.SBOM == nil || res.SBOM.Format != trust.SBOMCycloneDX || res.SBOM.Evidence.Format != oci.FormatSigstoreBundle || len(res.SBOM.Tlog) != 1 {
			t.Errorf("SBOM = %+v", res.SBOM)
		}
		if p := res.Provenance; p == nil || p.BuilderID != sourceRepo+"/"+workflow+"@refs/heads/main" || p.SourceCommit != commit {
			t.Errorf("provenance = %+v", p)
		}
	})

	t.Run("keyless with timestamp only", func(t *testing.T) {
		ref := w.image()
		w.sign(ref, w.keyless(sigstorelocal.Options{Timestamp: true}), oci.FormatSigstoreBundle)
		res, err := w.intake(ref, w.policy(""), oci.IntakeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Signature.Tlog) != 0 || len(res.Signature.Times) != 1 || res.SBOM != nil || res.Provenance != nil {
			t.Errorf("result = %+v", res)
		}
	})

	t.Run("keyless legacy signature and attestations", func(t *testing.T) {
		ref := w.image()
		w.release(ref, w.keyless(logged), oci.FormatSimpleSigning, commit)
		res, err := w.intake(ref, w.policy("sbom: spdx, provenance: true, tlog: true"), oci.IntakeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s := res.Signature; s.Format != oci.FormatSimpleSigning || s.Signer.Subject != ciSubject || len(s.Tlog) != 1 || s.Tlog[0].Kind != "hashedrekord" {
			t.Errorf("signature = %+v", s)
		}
		if res.SBOM == nil || len(res.SBOM.Tlog) != 1 || res.Provenance == nil {
			t.Errorf("attestations = %+v %+v", res.SBOM, res.Provenance)
		}
	})

	t.Run("index with platforms", func(t *testing.T) {
		ref := w.index("linux/amd64", "linux/arm64")
		w.release(ref, trust.KeySigner(w.key), oci.FormatSigstoreBundle, commit)
		for _, child := range children(t, ref) {
			w.sign(child, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		}
		sp := w.policy("sbom: any, provenance: true, platforms: [linux/amd64, linux/arm64]")
		res, err := w.intake(ref, sp, oci.IntakeOptions{VerifyPlatforms: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []oci.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
		if !res.IsIndex || !reflect.DeepEqual(res.Platforms, want) || len(res.PlatformSignatures) != 2 || res.PlatformSignatures[1].Platform != want[1] {
			t.Errorf("index result = %+v", res)
		}
	})

	t.Run("unsigned", func(t *testing.T) {
		ref := w.image()
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleUnsigned, oci.SignatureTag(ref))
		if !errors.Is(err, oci.ErrUnsigned) {
			t.Errorf("%v is not ErrUnsigned", err)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		ref := w.image()
		w.release(ref, trust.KeySigner(w.stranger), oci.FormatSimpleSigning, commit)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleUntrustedKey, "not signed by a trusted key")
		if !errors.Is(err, oci.ErrUntrusted) {
			t.Errorf("%v is not ErrUntrusted", err)
		}
	})

	t.Run("wrong identity", func(t *testing.T) {
		ref := w.image()
		w.release(ref, w.sigstore.Keyless("https://github.com/acme/api-fork/.github/workflows/release.yml@refs/heads/main", ghIssuer, logged), oci.FormatSigstoreBundle, commit)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleIdentityMismatch, "api-fork")
	})

	t.Run("wrong issuer", func(t *testing.T) {
		ref := w.image()
		w.release(ref, w.sigstore.Keyless(ciSubject, "https://gitlab.com", logged), oci.FormatSigstoreBundle, commit)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleIssuerMismatch, `"https://gitlab.com"`)
	})

	t.Run("signature copied from another digest", func(t *testing.T) {
		signed, target := w.image(), w.image()
		w.release(signed, trust.KeySigner(w.key), oci.FormatSimpleSigning, commit)
		copySignature(t, signed, target)
		res, err := w.intake(target, full, oci.IntakeOptions{})
		wantRefused(t, res, err, target, trust.RuleWrongDigest, "for another image ("+signed.Digest+")")
	})

	t.Run("signature made for another repository", func(t *testing.T) {
		// The same image in two repositories of services that share a key:
		// web's signature must not admit the image into api.
		ref := w.image()
		web := reference(t, w.host+"/team/web", ref.Digest)
		copyManifest(t, ref.String(), web.String())
		w.sign(web, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		copySignature(t, web, ref)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleWrongRepository, w.host+"/team/web")
	})

	t.Run("tampered payload", func(t *testing.T) {
		ref := w.image()
		w.sign(ref, w.keyless(logged), oci.FormatSimpleSigning)
		editSignatureLayers(t, ref, func(p []byte) []byte {
			return []byte(strings.Replace(string(p), `"optional":null`, `"optional":{"approved":"yes"}`, 1))
		})
		res, err := w.intake(ref, w.policy(""), oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleTamperedPayload, "changed after signing")
	})

	t.Run("missing SBOM", func(t *testing.T) {
		ref := w.image()
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSigstoreBundle)
		w.attest(ref, trust.KeySigner(w.key), oci.PredicateSLSAv1, oci.SLSAProvenanceV1(sourceRepo, workflow, commit), oci.FormatSigstoreBundle)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleSBOMMissing, "requires an SBOM attestation")
		if !errors.Is(err, oci.ErrRequirement) {
			t.Errorf("%v is not ErrRequirement", err)
		}
		// An SBOM of the other format does not count either.
		w.attest(ref, trust.KeySigner(w.key), oci.PredicateCycloneDX, oci.CycloneDXBOM("api"), oci.FormatSigstoreBundle)
		res, err = w.intake(ref, w.policy("sbom: spdx"), oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleSBOMMissing, "requires a spdx SBOM attestation")
	})

	t.Run("SBOM signed by nobody trusted", func(t *testing.T) {
		ref := w.image()
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		w.attest(ref, trust.KeySigner(w.stranger), oci.PredicateSPDX, oci.SPDXDocument("api"), oci.FormatSimpleSigning)
		w.attest(ref, trust.KeySigner(w.key), oci.PredicateSLSAv1, oci.SLSAProvenanceV1(sourceRepo, workflow, commit), oci.FormatSimpleSigning)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleSBOMUntrusted, "signed by nobody trusted")
	})

	t.Run("provenance for another commit", func(t *testing.T) {
		ref := w.image()
		w.release(ref, trust.KeySigner(w.key), oci.FormatSigstoreBundle, other)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleProvenanceCommit, "at commit "+other+", not the build's commit "+commit)
	})

	t.Run("provenance of another digest", func(t *testing.T) {
		ref, elsewhere := w.image(), w.image()
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		w.attest(ref, trust.KeySigner(w.key), oci.PredicateSPDX, oci.SPDXDocument("api"), oci.FormatSimpleSigning)
		statement, err := oci.NewStatement(elsewhere, oci.PredicateSLSAv1, oci.SLSAProvenanceV1(sourceRepo, workflow, commit))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oci.AttestStatement(w.ctx, ref, trust.KeySigner(w.key), statement, oci.AttestOptions{}); err != nil {
			t.Fatal(err)
		}
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleProvenanceSubject, "its subject is "+elsewhere.Digest)
	})

	t.Run("missing provenance", func(t *testing.T) {
		ref := w.image()
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		w.attest(ref, trust.KeySigner(w.key), oci.PredicateSPDX, oci.SPDXDocument("api"), oci.FormatSimpleSigning)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleProvenanceMissing, "requires SLSA provenance")
	})

	t.Run("missing platform", func(t *testing.T) {
		ref := w.index("linux/amd64")
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		res, err := w.intake(ref, w.policy("platforms: [linux/amd64, linux/arm64]"), oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RulePlatformMissing, "lacks required platform(s) linux/arm64 (it has linux/amd64)")
	})

	t.Run("missing platform manifest", func(t *testing.T) {
		ref := w.index("linux/amd64", "linux/arm64")
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		arm := children(t, ref)[1]
		deleteManifest(t, arm)
		res, err := w.intake(ref, w.policy("platforms: [linux/amd64, linux/arm64]"), oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RulePlatformManifestMissing, "linux/arm64 manifest "+arm.Digest)
	})

	t.Run("unsigned platform manifest", func(t *testing.T) {
		ref := w.index("linux/amd64", "linux/arm64")
		w.sign(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning)
		w.sign(children(t, ref)[0], trust.KeySigner(w.key), oci.FormatSimpleSigning)
		res, err := w.intake(ref, w.policy(""), oci.IntakeOptions{VerifyPlatforms: true})
		wantRefused(t, res, err, ref, trust.RulePlatformUnsigned, "linux/arm64 manifest")
		if _, err := w.intake(ref, w.policy(""), oci.IntakeOptions{}); err != nil {
			t.Errorf("without VerifyPlatforms the signed index is enough: %v", err)
		}
	})

	t.Run("no transparency-log entry", func(t *testing.T) {
		ref := w.image()
		w.sign(ref, w.keyless(sigstorelocal.Options{Timestamp: true}), oci.FormatSigstoreBundle)
		res, err := w.intake(ref, w.policy("tlog: true"), oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleTlogMissing, "has no transparency-log entry")
	})

	t.Run("unknown digest", func(t *testing.T) {
		ref := reference(t, w.host+"/team/api", "sha256:"+strings.Repeat("ab", 32))
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleNotFound)
		if !errors.Is(err, oci.ErrNotFound) {
			t.Errorf("%v is not ErrNotFound", err)
		}
	})

	t.Run("image of another service", func(t *testing.T) {
		ref := w.image("team/web")
		w.release(ref, trust.KeySigner(w.key), oci.FormatSimpleSigning, commit)
		res, err := w.intake(ref, full, oci.IntakeOptions{})
		wantRefused(t, res, err, ref, trust.RuleWrongRepository, "not in service api's repository "+w.host+"/team/api")
	})
}

func reference(t *testing.T, repo, digest string) oci.Reference {
	t.Helper()
	ref, err := oci.ParseReference(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// children are the platform manifests of an index, in index order.
func children(t *testing.T, index oci.Reference) []oci.Reference {
	t.Helper()
	d, err := name.NewDigest(index.String())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(d)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []oci.Reference
	for _, c := range m.Manifests {
		out = append(out, reference(t, index.Repository, c.Digest.String()))
	}
	return out
}

func deleteManifest(t *testing.T, ref oci.Reference) {
	t.Helper()
	d, _ := name.NewDigest(ref.String())
	if err := remote.Delete(d); err != nil {
		t.Fatalf("delete %s: %v", ref, err)
	}
}

// editSignatureLayers rewrites the payload of every legacy signature layer
// of ref, keeping the signature and certificate annotations: what someone
// who can push, but cannot sign, can do.
func editSignatureLayers(t *testing.T, ref oci.Reference, edit func([]byte) []byte) {
	t.Helper()
	tag, _ := name.NewTag(ref.Repository + ":" + oci.SignatureTag(ref))
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := img.Manifest()
	layers, _ := img.Layers()
	var out v1.Image = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for i, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out, err = mutate.Append(out, mutate.Addendum{Layer: static.NewLayer(edit(data), m.Layers[i].MediaType), Annotations: m.Layers[i].Annotations})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := remote.Write(tag, out); err != nil {
		t.Fatal(err)
	}
}

// TestIntake runs the suite on the in-process registry with the OCI 1.1
// referrers API on; TestIntakeRealRegistry runs it on distribution 2.8,
// which has none (bundles go through the sha256-<hex> tag).
func TestIntake(t *testing.T) {
	reg, err := ocilocal.Start(ocilocal.StartOptions{Referrers: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	intakeSuite(t, reg.Host)
}

func TestIntakeNeedsPolicyAndCommit(t *testing.T) {
	ref := reference(t, "127.0.0.1:1/team/api", "sha256:"+strings.Repeat("0", 64))
	if _, err := oci.Intake(context.Background(), ref, &trust.ServicePolicy{}, oci.IntakeOptions{}); err == nil || !strings.Contains(err.Error(), "no keys and no identities") {
		t.Errorf("empty policy: %v", err)
	}
	k, _ := trust.GenerateKey()
	pub, _ := trust.NewPublicKey(k.Public(), "k.pub")
	sp := &trust.ServicePolicy{Service: "api", Repository: "127.0.0.1:1/team/api", Signers: trust.Policy{Keys: []trust.PublicKey{pub}}, Require: trust.Requirements{Provenance: true}}
	if _, err := oci.Intake(context.Background(), ref, sp, oci.IntakeOptions{Commit: "main"}); err == nil || !strings.Contains(err.Error(), "pass the build's full commit SHA") || errors.Is(err, oci.ErrRefused) {
		t.Errorf("provenance without a commit: %v", err)
	}
}
