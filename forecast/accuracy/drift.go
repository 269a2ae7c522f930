package accuracy

import (
	"fmt"
	"math"
)

// Rule decides when a series has drifted. The zero Rule is DefaultRule;
// any other is used as given.
//
// A vintage is judged once MinSteps of its steps have actuals; its
// realized scores over those steps (the window: at most its horizon) are
// compared with its own backtest, and the series drifts when either test
// fails:
//
//   - WAPE: realized WAPE > backtest WAPE x WAPEFactor + WAPESlack. The
//     backtest WAPE is that of the combined forecast over the backtest
//     folds; the factor allows for a window shorter than the folds and
//     the slack for series whose backtest was nearly exact.
//   - Coverage: the number of actuals inside the 80% interval is so low
//     that a one-sided binomial test of "coverage = 80%" against
//     "coverage < 80%" has a p-value below Alpha. Steps of one vintage
//     are not independent (a level shift moves them together), so Alpha
//     is small.
type Rule struct {
	// MinSteps is the fewest scored steps a vintage is judged on;
	// default 7.
	MinSteps int
	// WAPEFactor and WAPESlack make the WAPE bound; defaults 1.5 and
	// 0.05.
	WAPEFactor float64
	WAPESlack  float64
	// Alpha is the p-value below which the 80% coverage is too low;
	// default 0.001.
	Alpha float64
}

// DefaultRule is the rule forecastd applies.
var DefaultRule = Rule{MinSteps: 7, WAPEFactor: 1.5, WAPESlack: 0.05, Alpha: 0.001}

func (r Rule) withDefaults() Rule {
	if r == (Rule{}) {
		return DefaultRule
	}
	r.MinSteps = max(r.MinSteps, 1)
	return r
}

// Verdict is the judgement of one vintage's realized scores.
type Verdict struct {
	// Judged is false when fewer than MinSteps steps were scored: the
	// other fields are then zero.
	Judged bool `json:"judged"`
	// Drifting is true when either test failed; Reasons say which, with
	// their figures.
	Drifting bool     `json:"drifting"`
	Reasons  []string `json:"reasons,omitempty"`
	// WAPELimit is the WAPE bound (NaN without a backtest WAPE), and
	// CoverageP the binomial p-value of the 80% coverage.
	WAPELimit float64 `json:"wape_limit"`
	CoverageP float64 `json:"coverage_p"`
}

// Judge judges realized scores s of a vintage whose backtest WAPE was
// backtestWAPE (NaN when it had no backtest: only coverage is tested).
func (r Rule) Judge(s Scores, backtestWAPE float64) Verdict {
	r = r.withDefaults()
	if s.N < r.MinSteps {
		return Verdict{}
	}
	v := Verdict{Judged: true, WAPELimit: math.NaN()}
	if !math.IsNaN(backtestWAPE) && !math.IsInf(backtestWAPE, 0) {
		v.WAPELimit = backtestWAPE*r.WAPEFactor + r.WAPESlack
		if s.WAPE > v.WAPELimit {
			v.Drifting = true
			v.Reasons = append(v.Reasons, fmt.Sprintf("realized WAPE %.3f over %d steps > limit %.3f (backtest WAPE %.3f x %g + %g)",
				s.WAPE, s.N, v.WAPELimit, backtestWAPE, r.WAPEFactor, r.WAPESlack))
		}
	}
	v.CoverageP = BinomialCDF(s.Covered80, s.N, 0.8)
	if v.CoverageP < r.Alpha {
		v.Drifting = true
		v.Reasons = append(v.Reasons, fmt.Sprintf("80%% interval covered %d of %d actuals (binomial p = %.2g < %g)",
			s.Covered80, s.N, v.CoverageP, r.Alpha))
	}
	return v
}
