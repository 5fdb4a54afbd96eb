package canary

import (
	"fmt"
	"os"

	"github.com/slipway/slipway/rollout"
	"github.com/slipway/slipway/rollout/argorollouts"
	"github.com/slipway/slipway/rollout/webhook"
)

// DriverConfig is the `rollout:` block of an environment in slipway.yaml:
// which runtime carries the canary.
//
//	rollout: {driver: webhook, url: http://runtime:8080/slipway, tokenEnv: RUNTIME_TOKEN}
//	rollout: {driver: argo-rollouts, namespace: shop, name: guestbook, kubeconfig: ~/.kube/config}
type DriverConfig struct {
	Driver string `yaml:"driver" json:"driver"` // webhook | argo-rollouts

	// webhook
	URL      string `yaml:"url,omitempty" json:"url,omitempty"`
	TokenEnv string `yaml:"tokenEnv,omitempty" json:"tokenEnv,omitempty"` // environment variable holding the bearer token

	// argo-rollouts
	Namespace  string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Name       string `yaml:"name,omitempty" json:"name,omitempty"` // the Rollout; default: the service name
	Kubeconfig string `yaml:"kubeconfig,omitempty" json:"kubeconfig,omitempty"`
	Context    string `yaml:"context,omitempty" json:"context,omitempty"`
}

// NewDriver builds the configured driver for one canary target.
func (c DriverConfig) NewDriver(target rollout.Target) (rollout.Driver, error) {
	switch c.Driver {
	case "webhook":
		var opts []webhook.Option
		if c.TokenEnv != "" {
			tok, ok := os.LookupEnv(c.TokenEnv)
			if !ok {
				return nil, fmt.Errorf("rollout.tokenEnv: environment variable %s is not set: export the runtime's token", c.TokenEnv)
			}
			opts = append(opts, webhook.WithToken(tok))
		}
		return webhook.New(c.URL, target, opts...)
	case "argo-rollouts":
		if c.Namespace == "" {
			return nil, fmt.Errorf("rollout.namespace is required for the argo-rollouts driver")
		}
		name := c.Name
		if name == "" {
			name = target.Service
		}
		return argorollouts.NewFromConfig(c.Kubeconfig, c.Context, c.Namespace, name, target)
	case "":
		return nil, fmt.Errorf("rollout.driver is required: webhook or argo-rollouts")
	}
	return nil, fmt.Errorf("rollout.driver %q: use webhook or argo-rollouts", c.Driver)
}
