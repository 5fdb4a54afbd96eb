package auth

import (
	"sync"
	"time"

	"github.com/slipway/slipway"
)

// tokenCache remembers, for a short while, the tokens that authenticated:
// a server answering hundreds of requests a second otherwise reads the
// token (and its owner) from the store on every one. Only tokens that
// passed every check are kept, so a flood of made-up tokens never fills it.
//
// Its bound is the price: a token revoked, or an owner disabled, by
// another process (the CLI on the same store, another replica) is still
// accepted here until its entry is older than the TTL. Revocations and
// disablings made through this Service drop the entries at once. Expiry is
// checked on every request, cached or not.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken // by the secret's hash
}

type cachedToken struct {
	actor   slipway.Actor
	tokenID string
	owner   string // personal tokens: the user whose disabling drops it
	expires *time.Time
	checked time.Time // when the store was read
}

// maxCachedTokens bounds the cache; past it, it starts again empty.
const maxCachedTokens = 10000

// get returns the entry of a hash checked less than ttl before now.
func (c *tokenCache) get(hash string, now time.Time, ttl time.Duration) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || now.Sub(e.checked) >= ttl || now.Before(e.checked) {
		return cachedToken{}, false
	}
	return e, true
}

func (c *tokenCache) put(hash string, e cachedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedTokens {
		c.entries = map[string]cachedToken{}
	}
	c.entries[hash] = e
}

// drop forgets the entries a predicate picks.
func (c *tokenCache) drop(pick func(cachedToken) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if pick(e) {
			delete(c.entries, h)
		}
	}
}
