package models

// arimaSpecs wraps models/arima. (Helper-owned.)
func arimaSpecs() []Spec { return nil }
