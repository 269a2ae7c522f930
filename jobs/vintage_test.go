package jobs

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/models"
)

var _ vintageStager = (*sqlstore.Store)(nil)
var _ AccuracyStore = (*sqlstore.Store)(nil)

func TestVintageMeta(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &data.Series{Key: data.Key{Store: "S", SKU: "A"}, Freq: data.Daily, Start: start,
		Values: []float64{1, 2, 3, 4, 5, 6, 7, 3, 4, 5}}
	res := &forecast.Result{Season: 7, Points: make([]forecast.Point, 3), Combination: forecast.Metrics{WAPE: 0.2},
		Backtest: &forecast.Backtest{FoldsRun: 2}}
	m := vintageMeta(s, res)
	// Seasonal differences at lag 7: |3-1|, |4-2|, |5-3| = 2 each.
	if !m.Cutoff.Equal(start.AddDate(0, 0, 9)) || !m.First.Equal(start.AddDate(0, 0, 10)) || !m.Last.Equal(start.AddDate(0, 0, 12)) ||
		m.Scale != 2 || m.BacktestWAPE != 0.2 {
		t.Errorf("meta %+v", m)
	}
	res.Fallback = "history too short"
	if m := vintageMeta(s, res); !math.IsNaN(m.BacktestWAPE) {
		t.Errorf("a fallback's backtest WAPE %v, want NaN", m.BacktestWAPE)
	}
}

func TestRetrainParams(t *testing.T) {
	stored, err := paramsRecord.Encode(&Params{Kind: KindTrain, Horizon: 14, Models: []string{"ses"}, Stores: []string{"S1", "S2", "S3"}})
	if err != nil {
		t.Fatal(err)
	}
	group := []judged{
		{acc: sqlstore.SeriesAccuracy{Key: data.Key{Store: "S1", SKU: "A"}, JobID: "j", Steps: 28, WAPE: 0.9, WAPELimit: 0.4,
			Coverage80: 0.1, CoverageP: 1e-9}, reasons: []string{"wape"}, params: stored},
		{acc: sqlstore.SeriesAccuracy{Key: data.Key{Store: "S2", SKU: "A"}, JobID: "j", Steps: 28, WAPE: math.NaN(), WAPELimit: math.NaN(),
			Coverage80: 0, CoverageP: 1e-12}, reasons: []string{"coverage"}, params: stored},
	}
	p := retrainParams(group)
	if p.Horizon != 14 || len(p.Models) != 1 || p.Reason != ReasonDrift || len(p.Series) != 2 || len(p.Stores) != 2 ||
		len(p.SKUs) != 1 || len(p.Drift) != 2 || p.Drift[1].WAPE != nil || *p.Drift[0].WAPE != 0.9 {
		t.Errorf("retrain params %+v", p)
	}
	// It selects exactly the drifting series, not the cross product.
	f := p.filter()
	if !f.Match(data.Key{Store: "S1", SKU: "A"}) || f.Match(data.Key{Store: "S1", SKU: "B"}) || f.Match(data.Key{Store: "S3", SKU: "A"}) {
		t.Errorf("filter %+v", f)
	}
}

func TestParamsReasonChecked(t *testing.T) {
	reg := models.Standard()
	for _, c := range []struct {
		body, err string
	}{
		{`{"horizon":7,"reason":"boredom"}`, `reason "boredom"`},
		{`{"horizon":7,"drift":[{"store":"S","sku":"A"}]}`, "drift figures"},
		{`{"horizon":7,"reason":"drift","series":[{"store":"S","sku":"A"}],"drift":[{"store":"S","sku":"A","reasons":["x"]}]}`, ""},
	} {
		p, err := DecodeParams([]byte(c.body), reg)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.body, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one naming %s", c.body, err, c.err)
		case c.err == "" && (len(p.Series) != 1 || p.Reason != ReasonDrift):
			t.Errorf("%s: params %+v", c.body, p)
		}
	}
}
