package data

import (
	"math"
	"testing"
	"time"
)

func TestAddPlanned(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Series{Key: Key{"S", "A"}, Freq: Hourly, Start: start, Values: []float64{1, 2}}
	at := func(h int, m int) time.Time {
		return start.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	s.AddPlanned([]Observation{
		{Date: at(3, 0), Covariates: map[string]float64{"promo": 1}},
		{Date: at(4, 30), Covariates: map[string]float64{"promo": 1}},             // off the grid
		{Date: at(-1, 0), Covariates: map[string]float64{"promo": 1}},             // before the start
		{Date: at(2+MaxPlanSteps, 0), Covariates: map[string]float64{"promo": 1}}, // too far ahead
		{Date: at(1+MaxPlanSteps, 0), Covariates: map[string]float64{"price": 2}}, // the last step kept
		{Date: at(0, 0), Covariates: map[string]float64{"promo": math.Inf(1)}},    // not a value
		{Date: at(1, 0), Covariates: map[string]float64{"holiday": math.NaN()}},   // not a value
	})
	if got, want := s.Covariates["promo"], []float64{nan, nan, nan, 1}; !equalNaN(got, want) {
		t.Errorf("promo = %v, want %v", got, want)
	}
	if got := s.Covariates["price"]; len(got) != 2+MaxPlanSteps || got[1+MaxPlanSteps] != 2 {
		t.Errorf("price has %d values, want %d ending in 2", len(got), 2+MaxPlanSteps)
	}
	if _, ok := s.Covariates["holiday"]; ok || !equalNaN(s.Values, []float64{1, 2}) {
		t.Errorf("covariates %v, values %v", s.Covariates, s.Values)
	}
}

func equalNaN(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}
