package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slipway/slipway/bundle"
	"github.com/slipway/slipway/engine"
	"github.com/slipway/slipway/oci"
	"github.com/slipway/slipway/trust"
)

// The self-host scene: what runs in prod becomes platform acme's first
// release, and that release a signed bundle (Helm chart, Compose bundle,
// notes) published to the registry, as self-hosters receive it.

// platformKey signs platform manifests and the bundle's SHA256SUMS.
const platformKey = "platform.key"

// deploySkeletons are the app repository's chart and Compose skeletons:
// `slipway bundle` fills the versions and digests and keeps the rest.
var deploySkeletons = map[string]string{
	"deploy/chart/Chart.yaml": `apiVersion: v2
name: acme
description: Acme, self-hosted
type: application
version: 0.0.0 # filled by slipway bundle
appVersion: "0.0.0"
`,
	"deploy/chart/values.yaml": `api:
  replicas: 2
  image:
    repository: "" # filled by slipway bundle
    digest: ""
`,
	"deploy/chart/templates/api.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-api
spec:
  replicas: {{ .Values.api.replicas }}
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: "{{ .Values.api.image.repository }}@{{ .Values.api.image.digest }}"
`,
	"deploy/compose/compose.yaml": `services:
  api:
    image: "" # filled by slipway bundle
    environment:
      LOG_LEVEL: ${LOG_LEVEL:-info}
    ports:
      - "${API_PORT:-8080}:8080"
`,
	"deploy/compose/.env.example": "LOG_LEVEL=info\nAPI_PORT=8080\n",
}

// writePlatformKey makes the key of the platform's signatures.
func (s *story) writePlatformKey() error {
	key, err := trust.GenerateKey()
	if err != nil {
		return err
	}
	pem, err := trust.EncodePrivateKeyPEM(key)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.res.Dir, platformKey), pem, 0o600)
}

func (s *story) selfHost(ctx context.Context) error {
	keyPath := filepath.Join(s.res.Dir, platformKey)
	signer, err := trust.LoadPrivateKey(keyPath)
	if err != nil {
		return err
	}
	rel, err := s.eng.ReleasePlatform(ctx, engine.PlatformReleaseRequest{Requester: alice, Sign: func(blob []byte) ([]byte, string, error) {
		sig, err := bundle.SignSums(signer, blob)
		return sig.Sig, sig.KeyID, err
	}})
	if err != nil {
		return err
	}
	if rel.Version != "1.0.0" || len(rel.Manifest.Components) != 1 || rel.Manifest.Components[0].Version != "1.0.1" {
		return fmt.Errorf("platform release: want acme 1.0.0 with api 1.0.1 (what runs in prod), got %s %+v", rel.Version, rel.Manifest)
	}
	s.res.Platform = rel
	s.say("platform", rel.Tag, "platform acme %s released from prod: api %s; manifest signed and committed to the GitOps repository", rel.Version, rel.Manifest.Components[0].Version)

	sp, err := trust.ForService(s.eng.Cfg, &s.eng.Cfg.Services[0])
	if err != nil {
		return err
	}
	reg := oci.Options{Insecure: true}
	res, err := bundle.Build(ctx, bundle.Options{
		Manifest: rel.Manifest, AppDir: s.res.AppRepo, OutDir: filepath.Join(s.res.Dir, "bundle"), Signer: signer,
		ImagePolicy: func(string) (trust.Policy, error) { return sp.Signers, nil }, Registry: reg,
	})
	if err != nil {
		return err
	}
	s.res.Bundle = res
	s.say("bundle", res.Digest[:19], "self-host bundle of acme %s in bundle/: Helm chart %s, Compose bundle, release notes, upgrade guide; image signatures verified keyless; SHA256SUMS signed", rel.Version, filepath.Base(res.Chart))
	target, err := bundle.ParseTarget("oci://" + s.res.Registry + "/acme/platform")
	if err != nil {
		return err
	}
	pub, err := trust.NewPublicKey(signer.Public(), platformKey)
	if err != nil {
		return err
	}
	pushed, err := bundle.Push(ctx, res.Dir, target, bundle.PushOptions{Keys: trust.Policy{Keys: []trust.PublicKey{pub}}, Signer: signer, Registry: reg})
	if err != nil {
		return err
	}
	s.res.Pushed = pushed
	s.say("bundle", pushed.ChartDigest[:19], "published: helm install acme %s --version %s; the bundle as %s", pushed.Chart, pushed.ChartVersion, pushed.Bundle)
	// A self-hoster's check: pull the published bundle back and verify it
	// online (SHA256SUMS signature, every file, every image's signature).
	ref := "oci://" + s.res.Registry + "/acme/platform:v" + rel.Version
	v, err := bundle.VerifyRef(ctx, ref, bundle.VerifyOptions{Keys: trust.Policy{Keys: []trust.PublicKey{pub}}, Registry: reg,
		ImagePolicy: func(string) (trust.Policy, error) { return sp.Signers, nil }})
	if err != nil {
		return fmt.Errorf("the published bundle does not verify: %w", err)
	}
	s.say("bundle", v.Digest[:19], "pulled back and verified: %d files, %d image(s) and their signatures (slipway bundle verify %s --key platform.pub)", v.Files, len(v.Images), ref)
	return nil
}
