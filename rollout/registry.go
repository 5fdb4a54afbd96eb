package rollout

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Settings are a rollout: block's fields other than driver, by their YAML
// names (url, tokenEnv, namespace, …): each driver reads its own.
type Settings map[string]string

// Factory builds a driver for one canary target from its settings. Errors
// name the setting at fault and what to write instead.
type Factory func(s Settings, target Target) (Driver, error)

var (
	mu       sync.RWMutex
	registry = map[string]Factory{}
)

// Register makes a driver available under name (in its package's init).
// A new runtime is a new package that registers itself, not a new branch in
// a switch.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("rollout: driver " + name + " registered twice")
	}
	registry[name] = f
}

// Names lists the registered drivers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// New builds the named driver.
func New(name string, s Settings, target Target) (Driver, error) {
	if name == "" {
		return nil, fmt.Errorf("rollout.driver is required: %s", strings.Join(Names(), " or "))
	}
	mu.RLock()
	f, ok := registry[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("rollout.driver %q: use %s", name, strings.Join(Names(), " or "))
	}
	return f(s, target)
}
