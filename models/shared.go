package models

import "sync"

// Shared is the work a tournament shares between the candidates it runs
// on one series: what several candidates would otherwise each compute
// from the same history (the regression candidates' feature matrix, one
// per fold), computed once and reused. It belongs to one series: a key
// must name everything its value depends on besides the series itself,
// the training length included, since the folds are prefixes of the same
// history. A nil *Shared shares nothing, so a model fitted outside a
// tournament computes everything itself. Safe for concurrent use.
type Shared struct {
	mu sync.Mutex
	m  map[string]any
}

// NewShared returns an empty cache for one series.
func NewShared() *Shared { return &Shared{m: map[string]any{}} }

// shared returns the value stored under key in s, building and storing
// it on first use; with a nil s it builds every time. A failed build is
// not stored. hit reports whether the value came from the cache, in
// which case the caller must not change it.
func shared[T any](s *Shared, key string, build func() (T, error)) (v T, hit bool, err error) {
	if s == nil {
		v, err = build()
		return v, false, err
	}
	s.mu.Lock()
	if cached, ok := s.m[key]; ok {
		s.mu.Unlock()
		return cached.(T), true, nil
	}
	s.mu.Unlock()
	// Built outside the lock: a tournament fits one candidate at a time,
	// and two builds of one key give the same value anyway.
	if v, err = build(); err != nil {
		return v, false, err
	}
	s.mu.Lock()
	s.m[key] = v
	s.mu.Unlock()
	return v, false, nil
}
