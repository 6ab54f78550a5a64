package main

import (
	"sync"
	"time"
)

// pageCache keeps rendered public pages that are the same for every
// anonymous visitor in a language (the catalogue, a course page), so that
// they are not re-rendered per request (STACK-NOTES: template execution
// bounds page throughput). Entries live for ttl, so a course imported with
// `courses import` (another process) or on another instance shows within
// that time; clear empties it at once, for the course editor to come. Keys
// come from validated input only, so the cache cannot be grown by
// arbitrary URLs.
type pageCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedPage
}

type cachedPage struct {
	body    []byte
	expires time.Time
}

func newPageCache(ttl time.Duration) *pageCache {
	return &pageCache{ttl: ttl, now: time.Now, entries: map[string]cachedPage{}}
}

// get returns the page stored under key, or render's result, which it
// stores. Concurrent misses may render twice; both results are equal.
func (pc *pageCache) get(key string, render func() ([]byte, error)) ([]byte, error) {
	now := pc.now()
	pc.mu.RLock()
	e, ok := pc.entries[key]
	pc.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.body, nil
	}
	body, err := render()
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.entries[key] = cachedPage{body: body, expires: now.Add(pc.ttl)}
	pc.mu.Unlock()
	return body, nil
}

// clear drops every page, after the catalogue changed.
func (pc *pageCache) clear() {
	pc.mu.Lock()
	pc.entries = map[string]cachedPage{}
	pc.mu.Unlock()
}
