package models

// thetaSpecs lists SES, Naive2 and the Theta methods.
func thetaSpecs() []Spec {
	return []Spec{
		{Name: "ses", Family: "exponential smoothing",
			Doc: "simple exponential smoothing (alpha, l0 by MSE as R ses), on M4-style seasonally adjusted data",
			New: func() Forecaster { return SES{} }, Load: LoadJSON[sesFit], Default: true},
	}
}
