package data

import (
	"math"
	"time"
)

// MaxPlanSteps bounds how far past a series' last sale LoadSeries extends
// its covariate columns with planned values: the longest horizon a job
// may ask for (forecast.MaxHorizon). Values further ahead stay stored and
// come into range as sales arrive; without the bound one far-future date
// would make every column of the series that long.
const MaxPlanSteps = 1000

// AddPlanned merges planned covariate values (Observations whose
// Quantity is ignored, as the covariate parsers make them) into s's
// covariate columns, leaving Values as they are:
//
//   - after the last point, a column is extended to the last planned
//     date (at most MaxPlanSteps past it), NaN where nothing is planned;
//   - within the history, a plan fills a value the sales rows lack (a
//     promotion calendar uploaded once, sales exported without it), but
//     a value recorded with the sale wins: it is what happened;
//   - dates before the first point, or off the series' grid (13:30 on
//     an hourly series), are ignored: they name no step.
func (s *Series) AddPlanned(plan []Observation) {
	for _, o := range plan {
		for name, v := range o.Covariates {
			s.SetPlanned(o.Date, name, v)
		}
	}
}

// SetPlanned records one planned value with AddPlanned's rules.
func (s *Series) SetPlanned(date time.Time, name string, v float64) {
	if date.Before(s.Start) || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	i, ok := s.Freq.Steps(s.Start, date)
	n := len(s.Values)
	if !ok || i < 0 || i >= n+MaxPlanSteps {
		return
	}
	col, have := s.Covariates[name]
	if !have {
		col = make([]float64, n, max(n, i+1))
		for j := range col {
			col[j] = nan
		}
	}
	if i < n && !math.IsNaN(col[i]) {
		return
	}
	for len(col) <= i {
		col = append(col, nan)
	}
	col[i] = v
	if s.Covariates == nil {
		s.Covariates = map[string][]float64{}
	}
	s.Covariates[name] = col
}
