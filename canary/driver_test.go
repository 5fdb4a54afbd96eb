package canary

import (
	"strings"
	"testing"

	_ "github.com/slipway/slipway/rollout/argorollouts" // registers argo-rollouts
	"github.com/slipway/slipway/rollout/webhook"
)

func TestDriverConfig(t *testing.T) {
	t.Setenv("TEST_RUNTIME_TOKEN", "t0k")
	d, err := DriverConfig{Driver: "webhook", URL: "http://127.0.0.1:9/slipway", TokenEnv: "TEST_RUNTIME_TOKEN"}.NewDriver(target)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*webhook.Client); !ok {
		t.Fatalf("driver %T, want *webhook.Client", d)
	}
	for cfg, want := range map[DriverConfig]string{
		{}:                            "rollout.driver is required: argo-rollouts or webhook",
		{Driver: "flagger"}:           `rollout.driver "flagger"`,
		{Driver: "webhook", URL: "x"}: "absolute http(s) URL",
		{Driver: "webhook", URL: "http://x", TokenEnv: "UNSET_TOKEN_VAR_FOR_TEST"}: "UNSET_TOKEN_VAR_FOR_TEST is not set",
		{Driver: "argo-rollouts"}: "rollout.namespace is required",
		{Driver: "argo-rollouts", Namespace: "shop", Kubeconfig: "/nonexistent/kubeconfig"}: "no Kubernetes configuration",
	} {
		if _, err := cfg.NewDriver(target); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: err = %v, want %q", cfg, err, want)
		}
	}
}
