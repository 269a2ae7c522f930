package forecast

import (
	"sort"

	"github.com/forecastd/forecastd/data"
)

// Summary counts the outcomes of a run by class, with a warning for
// every series whose outcome is not ClassFull, so that a flat fallback
// is never reported as a success.
type Summary struct {
	Total    int `json:"series_total"`
	Full     int `json:"full"`
	Reduced  int `json:"reduced"`
	Fallback int `json:"fallback"`
	// ColdStart counts series too short for a tournament that a global
	// model forecast (ClassColdStart).
	ColdStart int `json:"cold_start"`
	Failed    int `json:"failed"`
	// CovariatesDropped counts the series whose tournament left out a
	// covariate of the history for want of a plan over the horizon;
	// each has a warning of class WarnCovariate naming them.
	CovariatesDropped int       `json:"covariates_dropped"`
	Warnings          []Warning `json:"warnings,omitempty"`
}

// WarnCovariate is the Class of a Warning that names the covariates a
// series' tournament left out (Outcome.CovariatesDropped); it is no
// outcome class, and comes beside the series' class warning, if any.
const WarnCovariate Class = "covariate"

// Warning is why one series' outcome is not ClassFull.
type Warning struct {
	Store  string `json:"store"`
	SKU    string `json:"sku"`
	Class  Class  `json:"class"`
	Reason string `json:"reason"`
}

// Add counts the outcome of series k as Run hands it to its sink, and
// returns its class.
func (s *Summary) Add(k data.Key, out *Outcome, err error) Class {
	class, reason := Classify(out, err)
	s.Total++
	switch class {
	case ClassFull:
		s.Full++
	case ClassReduced:
		s.Reduced++
	case ClassFallback:
		s.Fallback++
	case ClassColdStart:
		s.ColdStart++
	default:
		s.Failed++
	}
	if class != ClassFull {
		s.Warnings = append(s.Warnings, Warning{Store: k.Store, SKU: k.SKU, Class: class, Reason: reason})
	}
	if out != nil && len(out.CovariatesDropped) > 0 {
		s.CovariatesDropped++
		s.Warnings = append(s.Warnings, Warning{Store: k.Store, SKU: k.SKU, Class: WarnCovariate, Reason: DroppedText(out.CovariatesDropped)})
	}
	return class
}

// SortWarnings orders the warnings by series, as Run delivers outcomes
// in completion order.
func (s *Summary) SortWarnings() {
	sort.SliceStable(s.Warnings, func(i, j int) bool {
		a, b := s.Warnings[i], s.Warnings[j]
		return data.Key{Store: a.Store, SKU: a.SKU}.Less(data.Key{Store: b.Store, SKU: b.SKU})
	})
}
