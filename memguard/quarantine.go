package memguard

import (
	"maps"
	"slices"
	"strings"
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

// UpdateQuarantine quarantines the entries of add that are not
// quarantined (keeping their Since) and lifts the quarantine of the names
// in remove, as read from a store that several processes share: an
// operator's PUT or DELETE on one process reaches the others on their
// next job. It reports whether the set of quarantined names changed; when
// it did, every kind's window restarts once, as after Quarantine. An
// entry already quarantined keeps its reason and time.
func (g *Guard) UpdateQuarantine(add []QuarantineEntry, remove []string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	var added, removed []string
	for _, e := range add {
		if _, ok := g.quarantine[e.Name]; ok {
			continue
		}
		if e.Since.IsZero() {
			e.Since = time.Now()
		}
		g.quarantine[e.Name] = e
		added = append(added, e.Name)
	}
	for _, name := range remove {
		if _, ok := g.quarantine[name]; ok {
			delete(g.quarantine, name)
			removed = append(removed, name)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return false
	}
	slices.Sort(added)
	slices.Sort(removed)
	var why []string
	if len(added) > 0 {
		why = append(why, "quarantine of "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		why = append(why, strings.Join(removed, ", ")+" back from quarantine")
	}
	g.restartLocked(strings.Join(why, "; "))
	return true
}
