package models

// smoothingSpecs lists exponential smoothing and Theta methods.
// (Helper-owned.)
func smoothingSpecs() []Spec { return nil }
