package auth

import (
	"sync"
	"time"
)

// Limiter rate-limits login attempts per key (a client address, a user
// name): a token bucket of Burst attempts refilled at one per Every. Both
// the address and the name are limited, so one address cannot guess many
// passwords and many addresses cannot guess one user's. In memory: each
// replica limits on its own, which still bounds guessing to replicas ×
// the rate.
type Limiter struct {
	Burst int
	Every time.Duration
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter allows burst attempts, then one per every.
func NewLimiter(burst int, every time.Duration) *Limiter {
	return &Limiter{Burst: burst, Every: every, Now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes one attempt for every key, or none when any key is out of
// attempts; then it reports how long until the next attempt is allowed.
func (l *Limiter) Allow(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	l.sweep(now)
	var wait time.Duration
	bs := make([]*bucket, 0, len(keys))
	for _, k := range keys {
		b := l.buckets[k]
		if b == nil {
			b = &bucket{tokens: float64(l.Burst), at: now}
			l.buckets[k] = b
		}
		b.tokens = min(float64(l.Burst), b.tokens+float64(now.Sub(b.at))/float64(l.Every))
		b.at = now
		if b.tokens < 1 {
			wait = max(wait, time.Duration((1-b.tokens)*float64(l.Every)))
		}
		bs = append(bs, b)
	}
	if wait > 0 {
		return false, wait
	}
	for _, b := range bs {
		b.tokens--
	}
	return true, 0
}

// sweep forgets buckets that have refilled, so the map stays small.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(l.Burst) * l.Every
	if now.Sub(l.swept) < full {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}
