// Package deploy holds what runs Slipway itself: the Dockerfile at the
// repository root, the Helm chart, the Compose file and the CI examples.
// No container engine runs here, so the tests check what can be checked
// without one: the chart renders with Helm's own engine, the Compose file
// loads with compose-go, the image is built static and runs as non-root,
// and the CI examples sign the build hook exactly as the server checks it.
package deploy

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"gopkg.in/yaml.v3"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/slipway/slipway/auth"
)

func render(t *testing.T, values map[string]any) (map[string]string, error) {
	t.Helper()
	ch, err := loader.LoadDir("helm/slipway")
	if err != nil {
		t.Fatal(err)
	}
	vals, err := commonutil.ToRenderValues(ch, values, common.ReleaseOptions{Name: "slipway", Namespace: "slipway", IsInstall: true, Revision: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Render(ch, vals)
}

// docs decodes every YAML document of the rendered chart by kind.
func docs(t *testing.T, out map[string]string) map[string]map[string]any {
	t.Helper()
	byKind := map[string]map[string]any{}
	for name, text := range out {
		if !strings.HasSuffix(name, ".yaml") || strings.TrimSpace(text) == "" {
			continue
		}
		var d map[string]any
		if err := yaml.Unmarshal([]byte(text), &d); err != nil {
			t.Fatalf("%s renders invalid YAML: %v\n%s", name, err, text)
		}
		if d != nil {
			byKind[d["kind"].(string)] = d
		}
	}
	return byKind
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestChartDefaultsRunOneHardenedReplicaOnSQLite(t *testing.T) {
	out, err := render(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := docs(t, out)
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "PersistentVolumeClaim", "ServiceAccount"} {
		if k[kind] == nil {
			t.Fatalf("the chart renders no %s", kind)
		}
	}
	dep := k["Deployment"]
	pod := dig(dep, "spec", "template", "spec")
	c := dig(pod, "containers", 0)
	if dig(dep, "spec", "strategy", "type") != "Recreate" {
		t.Error("one SQLite file needs the Recreate strategy: two pods must never write it at once")
	}
	if dig(pod, "securityContext", "runAsNonRoot") != true || dig(c, "securityContext", "readOnlyRootFilesystem") != true || dig(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("pod is not hardened: %v / %v", dig(pod, "securityContext"), dig(c, "securityContext"))
	}
	args := strings.Join(toStrings(dig(c, "args")), " ")
	for _, want := range []string{"--config=/etc/slipway/slipway.yaml", "--state=/var/lib/slipway", "serve", "--replica=$(POD_NAME)", "--insecure-http"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if dig(c, "readinessProbe", "httpGet", "path") != "/readyz" || dig(c, "livenessProbe", "httpGet", "path") != "/healthz" {
		t.Error("probes must ask /readyz and /healthz")
	}
	if img := dig(c, "image"); img != "ghcr.io/slipway/slipway:0.1.0" {
		t.Errorf("image %v, want the appVersion tag", img)
	}
	if !strings.Contains(dig(k["ConfigMap"], "data", "slipway.yaml").(string), "environments:") {
		t.Error("the ConfigMap does not carry slipway.yaml")
	}
}

func TestChartWithPostgresRunsReplicasAndPinsTheDigest(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	out, err := render(t, map[string]any{
		"replicas": 2,
		"image":    map[string]any{"digest": digest},
		"store":    map[string]any{"postgres": map[string]any{"existingSecret": "slipway-db"}},
		"serve":    map[string]any{"tls": map[string]any{"secretName": "slipway-tls"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	k := docs(t, out)
	if k["PersistentVolumeClaim"] != nil {
		t.Error("with PostgreSQL the chart must not claim a volume for SQLite")
	}
	dep := k["Deployment"]
	c := dig(dep, "spec", "template", "spec", "containers", 0)
	if dig(dep, "spec", "replicas") != 2 || dig(dep, "spec", "strategy") != nil {
		t.Errorf("replicas %v strategy %v", dig(dep, "spec", "replicas"), dig(dep, "spec", "strategy"))
	}
	if dig(c, "image") != "ghcr.io/slipway/slipway@"+digest {
		t.Errorf("image %v: a digest must pin it", dig(c, "image"))
	}
	var store bool
	for _, e := range dig(c, "env").([]any) {
		if dig(e, "name") == "SLIPWAY_STORE" && dig(e, "valueFrom", "secretKeyRef", "name") == "slipway-db" {
			store = true
		}
	}
	if !store {
		t.Error("SLIPWAY_STORE does not come from the PostgreSQL secret")
	}
	args := strings.Join(toStrings(dig(c, "args")), " ")
	if strings.Contains(args, "--insecure-http") || !strings.Contains(args, "--tls-cert=/etc/slipway/tls/tls.crt") || dig(c, "readinessProbe", "httpGet", "scheme") != "HTTPS" {
		t.Errorf("with a TLS secret the pod serves HTTPS: %s", args)
	}
}

func TestChartRefusesReplicasOnSQLite(t *testing.T) {
	_, err := render(t, map[string]any{"replicas": 3})
	if err == nil || !strings.Contains(err.Error(), "replicas > 1 needs PostgreSQL") {
		t.Fatalf("three replicas on one SQLite file: %v", err)
	}
}

func TestComposeLoadsWithBothStores(t *testing.T) {
	ctx := context.Background()
	for _, profiles := range [][]string{nil, {"postgres"}} {
		opts, err := cli.NewProjectOptions([]string{"compose/compose.yaml"}, cli.WithWorkingDirectory("compose"),
			cli.WithEnvFiles("compose/.env.example"), cli.WithDotEnv, cli.WithProfiles(profiles))
		if err != nil {
			t.Fatal(err)
		}
		p, err := opts.LoadProject(ctx)
		if err != nil {
			t.Fatalf("profiles %v: %v", profiles, err)
		}
		s, ok := p.Services["slipway"]
		if !ok {
			t.Fatal("no slipway service")
		}
		if s.User != "65532:65532" || !s.ReadOnly || len(s.Ports) != 1 || s.Ports[0].HostIP != "127.0.0.1" {
			t.Errorf("slipway service: user %q read-only %v ports %+v", s.User, s.ReadOnly, s.Ports)
		}
		if s.HealthCheck == nil || strings.Join(s.HealthCheck.Test, " ") != "CMD /usr/bin/slipway healthcheck --url http://127.0.0.1:8080/healthz" {
			t.Errorf("health check %+v", s.HealthCheck)
		}
		if _, pg := p.Services["postgres"]; pg != (profiles != nil) {
			t.Errorf("profiles %v: postgres enabled %v", profiles, pg)
		}
	}
}

// TestDockerfileBuildsAStaticNonRootImage reads the Dockerfile's final
// stage: a static build, the version stamped where `slipway --version`
// reads it, a numeric non-root user.
func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	stages := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(text, -1)
	if len(stages) < 2 {
		t.Fatal("the Dockerfile must build in one stage and run from another")
	}
	final := text[stages[len(stages)-1][0]:]
	for _, want := range []string{"CGO_ENABLED=0", "-X main.version=$VERSION", "-X main.commit=$COMMIT", "-X main.date=$DATE"} {
		if !strings.Contains(text, want) {
			t.Errorf("the build lacks %s", want)
		}
	}
	user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)$`).FindStringSubmatch(final)
	if user == nil || user[1] == "0" {
		t.Errorf("the final stage must run as a numeric non-root user: %q", user)
	}
	if !strings.Contains(final, `ENTRYPOINT ["/usr/bin/slipway"]`) {
		t.Error("the entrypoint is not the slipway binary")
	}
}

// TestGitLabExampleSignsTheHookAsTheServerChecks runs the example's own
// signing pipeline (printf | openssl) and compares it with auth.SignHook.
func TestGitLabExampleSignsTheHookAsTheServerChecks(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("SKIPPED: openssl is not installed; the example's signature cannot be recomputed")
	}
	f, err := os.Open(filepath.Join("..", "examples", "ci", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sigLine string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "- SIG=") {
			sigLine = strings.TrimPrefix(l, "- ")
		}
	}
	if sigLine == "" {
		t.Fatal("the GitLab example computes no SIG")
	}
	ts, body, secret := "1764300000", `{"service":"api","commit":"abc","image":"r@sha256:00"}`, "s3cret"
	cmd := exec.Command("bash", "-c", sigLine+`; printf 'sha256=%s' "$SIG"`)
	cmd.Env = append(os.Environ(), "TS="+ts, "BODY="+body, "SLIPWAY_HOOK_SECRET="+secret)
	got, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := auth.SignHook([]byte(secret), 1764300000, []byte(body)); string(got) != want {
		t.Errorf("the example signs %s, the server expects %s", got, want)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}
