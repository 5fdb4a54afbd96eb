package forge

import (
	"sort"
	"strings"
	"sync"

	"github.com/slipway/slipway"
)

// Constructor builds an adapter from its configuration. It reads secrets but
// makes no network call, so a misconfigured forge fails at start-up with a
// clear message and a working one costs nothing until used.
type Constructor func(Config) (slipway.Forge, error)

var (
	mu       sync.RWMutex
	adapters = map[string]Constructor{}
)

// Register makes an adapter available under name. It panics when name is
// taken, like database/sql.Register: two adapters claiming one name is a
// programming error, not a configuration one.
func Register(name string, New Constructor) {
	mu.Lock()
	defer mu.Unlock()
	if New == nil {
		panic("forge: Register " + name + " with a nil constructor")
	}
	if _, dup := adapters[name]; dup {
		panic("forge: Register called twice for " + name)
	}
	adapters[name] = New
}

// Names lists the registered adapters, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(adapters))
	for n := range adapters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open checks cfg and builds the adapter it names. The local forge is not
// built here: it needs the store and the working clone, which the engine
// owns; Open refuses it with a message saying so.
func Open(cfg Config) (slipway.Forge, error) {
	if err := cfg.checked(); err != nil {
		return nil, err
	}
	if cfg.Type == "" || cfg.Type == Local {
		return nil, slipway.Errorf(slipway.EINVALID, "forge.Open: the local forge is built by the engine from its store and clone, not from configuration")
	}
	mu.RLock()
	New, ok := adapters[cfg.Type]
	mu.RUnlock()
	if !ok {
		return nil, slipway.Errorf(slipway.EINVALID, "%s.type: %s is not linked into this binary (linked: %s): import github.com/slipway/slipway/forge/%s", cfg.key(), cfg.Type, strings.Join(Names(), ", "), cfg.Type)
	}
	return New(cfg)
}

// checked is Check as one EINVALID error listing every problem.
func (c *Config) checked() error {
	ps := c.Check()
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = c.key() + "." + p.Error()
	}
	return slipway.Errorf(slipway.EINVALID, "%s", strings.Join(msgs, "; "))
}

// Prepare is the start of every adapter's constructor: it sets c.Type to
// the adapter's name, checks c, and reads the webhook secret (nil when
// none is configured).
func (c *Config) Prepare(typ string) (secret []byte, err error) {
	c.Type = typ
	if err := c.checked(); err != nil {
		return nil, err
	}
	return c.WebhookSecret()
}
