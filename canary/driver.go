package canary

import (
	"github.com/slipway/slipway/rollout"
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

// NewDriver builds the configured driver for one canary target through
// the rollout registry (drivers register themselves by name).
func (c DriverConfig) NewDriver(target rollout.Target) (rollout.Driver, error) {
	return rollout.New(c.Driver, rollout.Settings{
		"url": c.URL, "tokenEnv": c.TokenEnv,
		"namespace": c.Namespace, "name": c.Name, "kubeconfig": c.Kubeconfig, "context": c.Context,
	}, target)
}
