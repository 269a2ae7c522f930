package jobs

import (
	"context"
	"math"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/accuracy"
)

// vintageStager is a Store that keeps every published forecast as a
// vintage (issue 19); *sqlstore.Store is one. A Store without it stages
// results as before.
type vintageStager interface {
	StageResultVintage(ctx context.Context, jobID string, k data.Key, body, models []byte, m sqlstore.VintageMeta) error
}

// stageResult stages the result of series s, with what its vintage keeps
// when the store keeps vintages: the data cut-off, the dates forecast,
// the MASE scale of the history trained on and the backtest WAPE.
func (r *Runner) stageResult(ctx context.Context, id string, s *data.Series, res *forecast.Result, body, kept []byte) error {
	m := vintageFor(r.Store, s, res)
	if m == nil {
		return r.Store.StageResult(ctx, id, s.Key, body, kept)
	}
	return r.Store.(vintageStager).StageResultVintage(ctx, id, s.Key, body, kept, *m)
}

// vintageFor is what the published res of series s keeps as a vintage,
// or nil when it keeps none: store keeps no vintages, or res forecasts
// nothing (a failure) from no history. Both staging paths (one series,
// and a streamed batch) ask here.
func vintageFor(store Store, s *data.Series, res *forecast.Result) *sqlstore.VintageMeta {
	if _, ok := store.(vintageStager); !ok || len(res.Points) == 0 || s.Len() == 0 {
		return nil
	}
	m := vintageMeta(s, res)
	return &m
}

// vintageMeta is what a vintage of res, trained on s, keeps.
func vintageMeta(s *data.Series, res *forecast.Result) sqlstore.VintageMeta {
	bt := res.Combination.WAPE
	if res.Fallback != "" || bt == 0 && res.Backtest == nil {
		// A fallback had no backtest: it promised nothing to hold it to.
		bt = math.NaN()
	}
	n := s.Len()
	return sqlstore.VintageMeta{
		Cutoff:       s.End(),
		First:        s.Date(n),
		Last:         s.Date(n + len(res.Points) - 1),
		Scale:        accuracy.NaiveScale(s.Values, res.Season),
		BacktestWAPE: bt,
	}
}

// pointDate parses the date of a served point (its series' layout).
func pointDate(freq data.Frequency, p forecast.Point) (time.Time, error) {
	return time.Parse(freq.Layout(), p.Date)
}
