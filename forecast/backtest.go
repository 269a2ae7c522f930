package forecast

import (
	"fmt"
	"strings"

	"github.com/forecastd/forecastd/models"
)

// fold is one backtest split: train on y[:end], test on y[end:end+v],
// v the validation horizon.
type fold struct{ end int }

// backtestPlan is the backtest a history allows: the folds, the steps
// each scores, the candidates that run and the account of it.
type backtestPlan struct {
	folds      []fold
	v          int // validation horizon
	candidates []models.Spec
	dropped    []models.Spec // left out: need more seasons than the folds train on
	info       Backtest
	class      Class
}

// planBacktest adapts the backtest asked for to a history of n points,
// giving up as little as it can, in this order:
//
//  1. as many of the o.Windows folds as fit, at the full horizon, each
//     training on at least minTrain points (at least one fold);
//  2. else one fold at a shorter validation horizon, as long as the
//     history allows but no shorter than max(1, h/4): a quarter of the
//     horizon still ranks the candidates on more than the first steps,
//     and below it the ranking says little about the forecast asked;
//  3. else, when minTrain is the default two seasons, the same with
//     folds training on one season (at least 14 points), leaving out
//     the candidates that need two seasons (models.Spec.MinSeasons).
//
// When none fits, the plan has no folds and the tournament falls back.
// A history that fits the backtest asked gets exactly the folds it got
// before plans existed, so its results are unchanged.
func planBacktest(n int, o Options, season, minTrain int) backtestPlan {
	h := o.Horizon
	p := backtestPlan{candidates: o.Candidates, info: Backtest{FoldsAsked: o.Windows, Horizon: h, MinTrain: minTrain}}
	if p.fit(n, o, minTrain) {
		return p
	}
	reduced := max(season, 14)
	canReduce := o.MinTrain == 0 && reduced < minTrain
	if !canReduce || !p.fit(n, o, reduced) {
		need := min(minTrain, reduced)
		if !canReduce {
			need = minTrain
		}
		p.folds, p.v, p.class = nil, 0, ClassFallback
		p.info.FoldsRun, p.info.ValidationHorizon, p.info.MinTrain = 0, 0, minTrain
		p.info.Reason = fmt.Sprintf("history of %d points is too short to backtest a horizon of %d (needs %d, or at least %d to validate %d steps)",
			n, h, minTrain+h, need+max(1, h/4), max(1, h/4))
		return p
	}
	shortest := p.folds[0].end
	p.candidates = nil
	for _, spec := range o.Candidates {
		if spec.MinSeasons*season > shortest {
			p.dropped = append(p.dropped, spec)
			p.info.Dropped = append(p.info.Dropped, spec.Name)
		} else {
			p.candidates = append(p.candidates, spec)
		}
	}
	why := fmt.Sprintf("history of %d points: too short for folds training on two seasons (%d points), folds train on %d or more",
		n, minTrain, reduced)
	if p.info.Reason != "" {
		why += "; " + p.info.Reason
	}
	if len(p.dropped) > 0 {
		why += fmt.Sprintf("; %d candidates that need two seasons left out (%s)", len(p.dropped), strings.Join(p.info.Dropped, ", "))
	}
	p.class, p.info.Reason = ClassReduced, why
	return p
}

// fit lays out the folds for training histories of at least minTrain
// points, first at the full horizon, then at the longest validation
// horizon down to max(1, h/4) that fits one fold, and records the
// layout on p, with the reason it is not what was asked. It reports
// whether any fold fits.
func (p *backtestPlan) fit(n int, o Options, minTrain int) bool {
	h := o.Horizon
	p.info.MinTrain = minTrain
	p.v = h
	p.folds = backtestFolds(n, h, o.Windows, o.Step, minTrain)
	if len(p.folds) == 0 {
		v := n - minTrain
		if v < max(1, h/4) {
			return false
		}
		p.v = v
		p.folds = backtestFolds(n, v, o.Windows, min(o.Step, v), minTrain)
	}
	p.info.FoldsRun, p.info.ValidationHorizon = len(p.folds), p.v
	switch {
	case p.v < h:
		p.class = ClassReduced
		p.info.Reason = fmt.Sprintf("no fold can validate the horizon of %d after %d training points in %d: validated %d steps on %d of %d folds",
			h, minTrain, n, p.v, len(p.folds), o.Windows)
	case len(p.folds) < o.Windows:
		p.class = ClassReduced
		p.info.Reason = fmt.Sprintf("history of %d points fits %d of %d folds (each trains on %d points or more and validates %d, origins %d apart)",
			n, len(p.folds), o.Windows, minTrain, h, o.Step)
	default:
		p.class = ClassFull
		p.info.Reason = ""
	}
	return true
}

// backtestFolds lays out up to windows rolling-origin folds, oldest
// first, step apart, the last one testing the final v points; a fold
// that would train on fewer than minTrain points is dropped.
func backtestFolds(n, v, windows, step, minTrain int) []fold {
	var folds []fold
	for j := windows - 1; j >= 0; j-- {
		end := n - v - j*step
		if end >= minTrain {
			folds = append(folds, fold{end: end})
		}
	}
	return folds
}
