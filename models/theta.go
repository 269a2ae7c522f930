package models

// thetaSpecs lists SES, the Theta methods and Naive2. (Helper-owned.)
func thetaSpecs() []Spec { return nil }
