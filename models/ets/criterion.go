package ets

import "fmt"

// Criterion selects what estimation minimises. Selection between forms
// always uses AICc, whatever the criterion.
type Criterion int

const (
	// Lik is -2 log-likelihood up to constants (ets' default "lik"); it
	// is the zero value.
	Lik Criterion = iota
	// MSE is the one-step in-sample mean squared error ("mse"), which
	// R's holt() and hw() use.
	MSE
)

// ParseCriterion parses R's opt.crit name: "lik" (or "") or "mse".
func ParseCriterion(s string) (Criterion, error) {
	switch s {
	case "", "lik":
		return Lik, nil
	case "mse":
		return MSE, nil
	}
	return 0, fmt.Errorf("ets: unknown criterion %q", s)
}

// String returns R's name of the criterion.
func (c Criterion) String() string {
	if c == MSE {
		return "mse"
	}
	return "lik"
}
