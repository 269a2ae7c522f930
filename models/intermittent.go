package models

// intermittentSpecs lists the intermittent-demand methods (Croston and
// friends). (Helper-owned.)
func intermittentSpecs() []Spec { return nil }
