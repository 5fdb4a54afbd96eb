package gitops

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// bigValues builds a Helm values file of 200 components, 10 lines each
// (2,000 lines), every one with comments, flow collections and its own
// digest, the shape of an umbrella chart's values.
func bigValues() []byte {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "# component %d: owned by team-%d\n", i, i%7)
		fmt.Fprintf(&b, "component%d:\n", i)
		b.WriteString("  enabled: true\n")
		fmt.Fprintf(&b, "  replicas: %d  # autoscaled in prod\n", i%5+1)
		b.WriteString("  image:\n")
		fmt.Fprintf(&b, "    repository: ghcr.io/acme/component%d\n", i)
		fmt.Fprintf(&b, "    tag: \"1.%d.0\"\n", i)
		fmt.Fprintf(&b, "    digest: \"%s\"\n", oldDigest)
		b.WriteString("  resources: {limits: {cpu: 100m, memory: 128Mi}}\n")
		fmt.Fprintf(&b, "  env: [{name: COMPONENT, value: \"%d\"}]\n", i)
	}
	return []byte(b.String())
}

// BenchmarkSet edits one digest deep in a 2,000-line values file: parse,
// locate, splice and the verifying re-parse.
func BenchmarkSet(b *testing.B) {
	in := bigValues()
	if n := strings.Count(string(in), "\n"); n != 2000 {
		b.Fatalf("fixture has %d lines, want 2000", n)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed, err := Set(in, "component150.image.digest", newDigest); err != nil || !changed {
			b.Fatalf("Set: changed=%v err=%v", changed, err)
		}
	}
}

// BenchmarkGet is the read half, for comparison: one parse, no verification.
func BenchmarkGet(b *testing.B) {
	in := bigValues()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Get(in, "component150.image.digest"); err != nil {
			b.Fatal(err)
		}
	}
}

// kustomization is a typical overlay: resources, patches, a few images.
const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: api-prod
resources:
  - ../../base
  - ingress.yaml
labels:
  - pairs: {app.kubernetes.io/part-of: acme}
    includeSelectors: false
images:
  - name: ghcr.io/acme/proxy
    newTag: "3.1.0"
  # pinned by Slipway
  - name: ghcr.io/acme/api
    newTag: "1.4.2"
    digest: sha256:cba06b5736faf67e54b07b561eae94395e774c517a7d910a54369e1263ccfbd4
  - name: ghcr.io/acme/worker
    newName: registry.acme.internal/worker
    newTag: "2.0.0"
patches:
  - path: replicas.yaml
  - target: {kind: Deployment, name: api}
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 3
configMapGenerator:
  - name: api-config
    literals: [LOG_LEVEL=info, FEATURE_X=true]
`

// helmValues is the values.yaml of a chart made by helm create, with the
// digest field a Slipway pin needs: 100-odd lines, mostly comments.
func helmValuesFile() []byte {
	var b strings.Builder
	b.WriteString("# Default values for api.\n# This is a YAML-formatted file.\n# Declare variables to be passed into your templates.\n\nreplicaCount: 1\n\n")
	b.WriteString("image:\n  repository: ghcr.io/acme/api\n  # This sets the pull policy for images.\n  pullPolicy: IfNotPresent\n  # Overrides the image tag whose default is the chart appVersion.\n  tag: \"1.4.2\"\n  digest: \"" + oldDigest + "\"\n\n")
	b.WriteString("imagePullSecrets: []\nnameOverride: \"\"\nfullnameOverride: \"\"\n\n")
	b.WriteString("serviceAccount:\n  # Specifies whether a service account should be created\n  create: true\n  automount: true\n  annotations: {}\n  name: \"\"\n\n")
	b.WriteString("podAnnotations: {}\npodLabels: {}\n\npodSecurityContext: {}\n  # fsGroup: 2000\n\n")
	b.WriteString("securityContext: {}\n  # capabilities:\n  #   drop:\n  #   - ALL\n  # readOnlyRootFilesystem: true\n  # runAsNonRoot: true\n  # runAsUser: 1000\n\n")
	b.WriteString("service:\n  type: ClusterIP\n  port: 80\n\n")
	b.WriteString("ingress:\n  enabled: false\n  className: \"\"\n  annotations: {}\n    # kubernetes.io/ingress.class: nginx\n  hosts:\n    - host: chart-example.local\n      paths:\n        - path: /\n          pathType: ImplementationSpecific\n  tls: []\n\n")
	b.WriteString("resources: {}\n  # limits:\n  #   cpu: 100m\n  #   memory: 128Mi\n  # requests:\n  #   cpu: 100m\n  #   memory: 128Mi\n\n")
	b.WriteString("livenessProbe:\n  httpGet:\n    path: /\n    port: http\nreadinessProbe:\n  httpGet:\n    path: /\n    port: http\n\n")
	b.WriteString("autoscaling:\n  enabled: false\n  minReplicas: 1\n  maxReplicas: 100\n  targetCPUUtilizationPercentage: 80\n\n")
	b.WriteString("volumes: []\nvolumeMounts: []\n\nnodeSelector: {}\n\ntolerations: []\n\naffinity: {}\n")
	return []byte(b.String())
}

func benchApply(b *testing.B, pinYAML, file string, content []byte) {
	var pins PinSet
	if err := yaml.Unmarshal([]byte(pinYAML), &pins); err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{file: content}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		changed, err := pins.Apply(files, goldenTarget)
		if err != nil || len(changed) != 1 {
			b.Fatalf("Apply: %d changed, %v", len(changed), err)
		}
	}
}

// BenchmarkApplyKustomize promotes one images entry (newTag and digest)
// of a typical overlay.
func BenchmarkApplyKustomize(b *testing.B) {
	benchApply(b, `[{kind: kustomize, file: kustomization.yaml, write: [newTag, digest]}]`, "kustomization.yaml", []byte(kustomization))
}

// BenchmarkApplyHelm promotes image.tag and image.digest of a typical
// values file.
func BenchmarkApplyHelm(b *testing.B) {
	benchApply(b, `[{kind: helm, file: values.yaml, write: [tag, digest]}]`, "values.yaml", helmValuesFile())
}

// BenchmarkSetHelmBaseline is the least any edit of that values file
// costs: one Set of the digest (parse, splice, verifying re-parse).
func BenchmarkSetHelmBaseline(b *testing.B) {
	in := helmValuesFile()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed, err := Set(in, "image.digest", newDigest); err != nil || !changed {
			b.Fatalf("Set: %v %v", changed, err)
		}
	}
}
