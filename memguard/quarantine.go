package memguard

import (
	"maps"
	"time"
)

// QuarantineEntry records why a name (a model, usually) was quarantined.
type QuarantineEntry struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// Quarantine marks name as quarantined for reason. Quarantining a name
// again replaces the reason and keeps the original time. The Guard only
// keeps the list; callers consult IsQuarantined before running the name.
// The windows of all kinds restart (see Restart): the runs after a
// quarantine no longer run the quarantined code.
func (g *Guard) Quarantine(name, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.quarantine[name]
	if !ok {
		e = QuarantineEntry{Name: name, Since: time.Now()}
	}
	e.Reason = reason
	g.quarantine[name] = e
	g.restartLocked("quarantine of " + name)
}

// Unquarantine lifts the quarantine of name and reports whether it was
// quarantined.
func (g *Guard) Unquarantine(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.quarantine[name]
	delete(g.quarantine, name)
	if ok {
		g.restartLocked(name + " back from quarantine")
	}
	return ok
}

// IsQuarantined reports whether name is quarantined.
func (g *Guard) IsQuarantined(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.quarantine[name]
	return ok
}

// Quarantined returns a copy of the quarantine list by name.
func (g *Guard) Quarantined() map[string]QuarantineEntry {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.quarantine)
}
