package api

import (
	"context"
	"fmt"
	"html/template"
	"image/color"
	"net/http"

	"github.com/gin-gonic/gin"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast/accuracy"
)

// accuracyPageStore is what the accuracy page reads; *sqlstore.Store
// implements it.
type accuracyPageStore interface {
	RankAccuracy(ctx context.Context, f sqlstore.AccuracyFilter, offset, limit int) ([]sqlstore.SeriesAccuracy, error)
	AggregateAccuracy(ctx context.Context, f sqlstore.AccuracyFilter, limit int) ([]sqlstore.AccuracyAggregate, sqlstore.AccuracyAggregate, error)
	CoverageByStep(ctx context.Context, store string) ([]sqlstore.StepCoverage, error)
}

// Accuracy page limits.
const (
	uiWorst    = 25  // worst series listed
	uiDrifting = 100 // drifting series listed
	uiStores   = 100 // stores listed
)

type uiRankRow struct {
	Store, SKU string
	Steps      int
	scoresView
	WAPELimit *float64
	Reasons   []string
	Judged    bool
	Drifting  bool
}

type uiAccuracyPage struct {
	Title, Store  string
	Refresh       bool
	Total         aggregateView
	Stores        []aggregateView
	Worst         []uiRankRow
	Drifting      []uiRankRow
	MoreDrifting  bool
	CoverageChart template.HTML
	Rule          string
}

func rankRows(rows []sqlstore.SeriesAccuracy) []uiRankRow {
	out := make([]uiRankRow, len(rows))
	for i := range rows {
		a := &rows[i]
		d := viewDrift(a)
		out[i] = uiRankRow{Store: a.Key.Store, SKU: a.Key.SKU, Steps: a.Steps,
			scoresView: viewScores(accuracy.Scores{N: a.Steps, WAPE: a.WAPE, MASE: a.MASE, Bias: a.Bias,
				Coverage80: a.Coverage80, Coverage95: a.Coverage95, Pinball: a.Pinball}),
			WAPELimit: d.WAPELimit, Reasons: d.Reasons, Judged: a.Judged, Drifting: a.Drifting}
	}
	return out
}

// uiAccuracy is the accuracy page: totals, coverage by horizon step,
// the drifting series, the worst series and the stores, optionally of
// one store (?store=).
func (s *Server) uiAccuracy(c *gin.Context) {
	var st accuracyPageStore = s.store
	ctx := c.Request.Context()
	f := sqlstore.AccuracyFilter{Store: c.Query("store")}
	stores, total, err := st.AggregateAccuracy(ctx, f, uiStores)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	worst, err := st.RankAccuracy(ctx, f, 0, uiWorst)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	df := f
	df.DriftingOnly = true
	drifting, err := st.RankAccuracy(ctx, df, 0, uiDrifting+1)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	steps, err := st.CoverageByStep(ctx, f.Store)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	p := uiAccuracyPage{Title: "Accuracy", Store: f.Store, Total: viewAggregate(total), Worst: rankRows(worst)}
	if len(drifting) > uiDrifting {
		drifting, p.MoreDrifting = drifting[:uiDrifting], true
	}
	p.Drifting = rankRows(drifting)
	for _, a := range stores {
		p.Stores = append(p.Stores, viewAggregate(a))
	}
	r := accuracy.DefaultRule
	p.Rule = fmt.Sprintf("drifting when, over at least %d scored steps of a forecast, realized WAPE > backtest WAPE × %g + %g, "+
		"or the 80%% interval's coverage is below 80%% by a one-sided binomial test at p < %g", r.MinSteps, r.WAPEFactor, r.WAPESlack, r.Alpha)
	if len(steps) > 0 {
		chart, err := coverageChart(steps)
		if err != nil {
			s.uiFail(c, err)
			return
		}
		p.CoverageChart = chart
	}
	s.render(c, http.StatusOK, "accuracy.html", p)
}

// coverageChart plots the realized 80% and 95% coverage by horizon step
// with the nominal levels dashed.
func coverageChart(steps []sqlstore.StepCoverage) (template.HTML, error) {
	c80, c95 := make(plotter.XYs, len(steps)), make(plotter.XYs, len(steps))
	for i, st := range steps {
		c80[i] = plotter.XY{X: float64(st.Step), Y: 100 * float64(st.In80) / float64(st.N)}
		c95[i] = plotter.XY{X: float64(st.Step), Y: 100 * float64(st.In95) / float64(st.N)}
	}
	p := newPlot("", "% of actuals inside")
	p.X.Label.Text = "steps ahead"
	p.Y.Min, p.Y.Max = 0, 100
	lo, hi := float64(steps[0].Step), float64(steps[len(steps)-1].Step)
	for _, l := range []struct {
		name string
		xys  plotter.XYs
		col  color.Color
	}{{"95% interval", c95, colBlue}, {"80% interval", c80, colOrange}} {
		if err := addLine(p, l.name, l.xys, l.col, vg.Points(2)); err != nil {
			return "", err
		}
	}
	for _, nominal := range []float64{80, 95} {
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: nominal}, {X: hi, Y: nominal}})
		if err != nil {
			return "", fmt.Errorf("api: coverage chart: %w", err)
		}
		l.LineStyle.Color = colGrey
		l.LineStyle.Dashes = dashMarker
		p.Add(l)
	}
	return svgHTML(p, chartWidth, 3.4*vg.Inch)
}
