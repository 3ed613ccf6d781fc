package engine

import (
	"sync"
	"time"
)

// Short-lived caches of what nearly every request reads: the API key and the
// provider connection. A change made through this process clears them at once; one
// made by another process (an admin command, another instance) is seen within
// cacheTTL.
const (
	cacheTTL     = 2 * time.Second
	cacheMaxSize = 10000
)

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]cacheEntry[V]
}

func newTTLCache[K comparable, V any]() *ttlCache[K, V] {
	return &ttlCache[K, V]{m: map[K]cacheEntry[V]{}}
}

func (c *ttlCache[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheMaxSize {
		clear(c.m) // rare, and cheaper than tracking recency
	}
	c.m[k] = cacheEntry[V]{v: v, expires: now.Add(cacheTTL)}
}

func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
