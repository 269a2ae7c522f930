package api

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
)

// The series page's "Why this forecast" and "What if" sections: the
// explanation of GET .../explain and a scenario of POST .../scenarios,
// server-rendered (the dashboard runs no script): the scenario form is a
// GET of the same page, which is safe because a scenario stores nothing.

// seriesWhy is what the two sections show.
type seriesWhy struct {
	// Note replaces the sections' content when there is no explanation
	// (a fallback forecast, the explain slots busy, an error).
	Note    string
	Explain *forecast.Explanation
	// Covariates are the ones a scenario may change; Dates the horizon's.
	Covariates []string
	Dates      []string
	// Effects charts the forecast against the baseline plan and the
	// covariates' contributions; Rows tables the steps a covariate moves.
	Chart, EffectsChart template.HTML
	Rows                []whyRow
	// Trees are the tree models with importances.
	Trees []forecast.ModelExplanation
	// Form is the scenario asked for (query parameters), Scenario its
	// result, ScenarioError why it was refused (the page is then a 400).
	Form          scenarioForm
	Scenario      *forecast.ScenarioResult
	ScenarioChart template.HTML
	ScenarioRows  []scenarioRowView
	ScenarioError string
	APIURL        string
}

// whyRow is one step where a covariate's effect is material.
type whyRow struct {
	Date                       string
	Value, Baseline, Carryover float64
	Effects                    []namedValue
	// LargestName is the covariate with the largest |effect| at the step.
	LargestName  string
	LargestValue float64
}

type namedValue struct {
	Name  string
	Value float64
}

// scenarioRowView is a step where the scenario differs from the baseline.
type scenarioRowView struct {
	Date                       string
	Baseline, Scenario, Change float64
}

// scenarioForm is the scenario form's query: move (swap) the values of
// MoveCov between MoveFrom and MoveTo, and/or set SetCov to SetValue from
// SetFrom to SetTo.
type scenarioForm struct {
	Asked                     bool
	MoveCov, MoveFrom, MoveTo string
	SetCov, SetValue          string
	SetFrom, SetTo            string
}

// whyMinEffect is the smallest |effect| a step's row is listed for.
const whyMinEffect = 1e-6

// seriesWhy explains the page's forecast and runs its scenario, never
// failing the page: what cannot be shown is said in Note or
// ScenarioError. The status is 400 when the scenario form is bad.
func (s *dashboard) seriesWhy(c *gin.Context, k data.Key, series *data.Series, res *forecast.Result) (*seriesWhy, int) {
	q := c.Request.URL.Query()
	w := &seriesWhy{APIURL: "/v1/forecasts/" + url.PathEscape(k.Store) + "/" + url.PathEscape(k.SKU) + "/explain",
		Form: scenarioForm{Asked: q.Get("scenario") != "", MoveCov: q.Get("move_cov"), MoveFrom: q.Get("move_from"),
			MoveTo: q.Get("move_to"), SetCov: q.Get("set_cov"), SetValue: q.Get("set_value"), SetFrom: q.Get("set_from"), SetTo: q.Get("set_to")}}
	for _, p := range res.Points {
		w.Dates = append(w.Dates, p.Date)
	}
	w.Covariates = slices.Clone(res.Covariates)
	if series == nil {
		w.Note = "The series has no sales any more: there is nothing to re-run the kept models on."
		return w, http.StatusOK
	}
	r, err := s.Server.store.GetResultModels(c.Request.Context(), k)
	var kept []forecast.Kept
	if err == nil && len(r.Models) > 0 {
		err = record.Kept.Decode(r.Models, &kept)
	}
	kept, left := s.withoutQuarantined(kept)
	switch {
	case err != nil:
		w.Note = "The kept models could not be read: " + err.Error()
		return w, http.StatusOK
	case len(kept) == 0 && len(left) > 0:
		w.Note = "Every kept model is quarantined: none is re-run."
		return w, http.StatusOK
	case len(kept) == 0:
		w.Note = "This forecast kept no models (" + orText(res.Fallback, "a fallback") + "): there is nothing to explain."
		return w, http.StatusOK
	}
	select {
	case s.explainSlots <- struct{}{}:
		defer func() { <-s.explainSlots }()
	default:
		w.Note = fmt.Sprintf("%d explanations or scenarios are being computed (%s); reload in a moment.", maxConcurrentExplains, limitConcurrentExplains)
		return w, http.StatusOK
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.Limits.ExplainTimeout)
	defer cancel()
	if w.Explain, err = forecast.Explain(ctx, series, res, kept, s.opts.Registry); err != nil {
		w.Note = "The forecast could not be explained: " + err.Error()
		return w, http.StatusOK
	}
	if len(left) > 0 {
		w.Explain.Notes = append(w.Explain.Notes, quarantineNote(left))
	}
	if w.Covariates, err = forecast.ScenarioCovariates(res, kept, s.opts.Registry); err != nil {
		w.Note = err.Error()
		return w, http.StatusOK
	}
	w.fill()
	if w.Chart, w.EffectsChart, err = whyCharts(w.Explain, res.Freq); err != nil {
		w.Note = err.Error()
		return w, http.StatusOK
	}
	if !w.Form.Asked {
		return w, http.StatusOK
	}
	changes, err := w.Form.changes(series, res)
	if err == nil {
		w.Scenario, err = forecast.Scenario(ctx, series, res, kept, s.opts.Registry, changes)
	}
	if err != nil {
		w.ScenarioError = err.Error()
		var se *forecast.ScenarioError
		var fe *fieldError
		if errors.As(err, &se) || errors.As(err, &fe) {
			return w, http.StatusBadRequest
		}
		return w, http.StatusOK
	}
	for i, b := range w.Scenario.Baseline {
		sc := w.Scenario.Scenario[i]
		if d := sc.Value - b.Value; math.Abs(d) > whyMinEffect {
			w.ScenarioRows = append(w.ScenarioRows, scenarioRowView{Date: b.Date, Baseline: b.Value, Scenario: sc.Value, Change: d})
		}
	}
	if w.ScenarioChart, err = pointsChart(res.Freq, []pointLine{{"baseline", w.Scenario.Baseline, colBlue, nil},
		{"scenario", w.Scenario.Scenario, colVermil, nil}}); err != nil {
		w.ScenarioError = err.Error()
	}
	return w, http.StatusOK
}

// fill derives the tables from the explanation.
func (w *seriesWhy) fill() {
	for _, m := range w.Explain.Models {
		if len(m.Importances) > 0 {
			m.Importances = m.Importances[:min(len(m.Importances), 8)]
			w.Trees = append(w.Trees, m)
		}
	}
	for _, st := range w.Explain.Steps {
		row := whyRow{Date: st.Date, Value: st.Value, Baseline: st.BaselineValue, Carryover: st.Carryover}
		names := make([]string, 0, len(st.Contributions))
		for name := range st.Contributions {
			names = append(names, name)
		}
		slices.Sort(names)
		material := false
		for _, name := range names {
			v := st.Contributions[name]
			row.Effects = append(row.Effects, namedValue{name, v})
			if math.Abs(v) > whyMinEffect {
				material = true
			}
			if row.LargestName == "" || math.Abs(v) > math.Abs(row.LargestValue) {
				row.LargestName, row.LargestValue = name, v
			}
		}
		if material {
			w.Rows = append(w.Rows, row)
		}
	}
}

// changes turns the form into plan changes: a move swaps the two dates'
// planned values (a promotion on the first moves to the second), a set
// gives every date of its range the value.
func (f scenarioForm) changes(s *data.Series, res *forecast.Result) ([]forecast.PlanChange, error) {
	var out []forecast.PlanChange
	date := func(field, v string) (time.Time, error) {
		t, err := ingest.ParseDate(v)
		if err != nil {
			return t, &fieldError{Field: field, Reason: err.Error()}
		}
		return t, nil
	}
	planned := func(name string, t time.Time) float64 {
		k, _ := s.Freq.Steps(s.Start, t)
		if col := s.Covariates[name]; k >= 0 && k < len(col) && !math.IsNaN(col[k]) {
			return col[k]
		}
		return 0
	}
	if f.MoveCov != "" || f.MoveFrom != "" || f.MoveTo != "" {
		a, err := date("move_from", f.MoveFrom)
		if err != nil {
			return nil, err
		}
		b, err := date("move_to", f.MoveTo)
		if err != nil {
			return nil, err
		}
		if f.MoveCov == "" {
			return nil, &fieldError{Field: "move_cov", Reason: "choose the covariate to move"}
		}
		if !a.Equal(b) {
			out = append(out, forecast.PlanChange{Date: a, Name: f.MoveCov, Value: planned(f.MoveCov, b)},
				forecast.PlanChange{Date: b, Name: f.MoveCov, Value: planned(f.MoveCov, a)})
		}
	}
	if f.SetCov != "" || f.SetValue != "" {
		v, err := strconv.ParseFloat(f.SetValue, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &fieldError{Field: "set_value", Reason: fmt.Sprintf("%q is not a number", f.SetValue)}
		}
		from, err := date("set_from", orText(f.SetFrom, res.Points[0].Date))
		if err != nil {
			return nil, err
		}
		to, err := date("set_to", orText(f.SetTo, res.Points[len(res.Points)-1].Date))
		if err != nil {
			return nil, err
		}
		if to.Before(from) {
			return nil, &fieldError{Field: "set_to", Reason: "before set_from"}
		}
		// Only the horizon's dates can change: refuse a range past it
		// before walking it.
		first, _ := time.Parse(res.Freq.Layout(), res.Points[0].Date)
		last, _ := time.Parse(res.Freq.Layout(), res.Points[len(res.Points)-1].Date)
		if from.Before(first) || to.After(last) {
			return nil, &fieldError{Field: "set_from", Reason: fmt.Sprintf("the range %s to %s is not within the horizon (%s to %s)",
				from.Format(res.Freq.Layout()), to.Format(res.Freq.Layout()), res.Points[0].Date, res.Points[len(res.Points)-1].Date)}
		}
		moves := slices.Clone(out)
		for t := from; !t.After(to); t = s.Freq.Add(t, 1) {
			if slices.ContainsFunc(moves, func(c forecast.PlanChange) bool { return c.Name == f.SetCov && c.Date.Equal(t) }) {
				continue // a move already changed this date; the move wins
			}
			out = append(out, forecast.PlanChange{Date: t, Name: f.SetCov, Value: v})
		}
	}
	if len(out) == 0 {
		return nil, &fieldError{Field: "scenario", Reason: "nothing to change: move a covariate between two different dates, or set one to a value"}
	}
	return out, nil
}

// pointLine is one line of a points chart.
type pointLine struct {
	name   string
	points []forecast.Point
	c      color.Color
	values []float64 // used instead of points' values when set
}

// pointsChart draws lines over forecast dates.
func pointsChart(freq data.Frequency, lines []pointLine) (template.HTML, error) {
	p := newPlot("", "quantity")
	p.X.Tick.Marker = dateTicks{}
	for _, l := range lines {
		xys := make(plotter.XYs, 0, len(l.points))
		for i, pt := range l.points {
			t, err := time.Parse(freq.Layout(), pt.Date)
			if err != nil {
				return "", fmt.Errorf("api: forecast date %q: %w", pt.Date, err)
			}
			y := pt.Value
			if l.values != nil {
				y = l.values[i]
			}
			xys = append(xys, plotter.XY{X: float64(t.Unix()), Y: y})
		}
		if err := addLine(p, l.name, xys, l.c, vg.Points(1.6)); err != nil {
			return "", err
		}
	}
	return svgHTML(p, 11*vg.Inch, 3.2*vg.Inch)
}

var effectColours = []color.Color{colOrange, colGreen, colPurple, colVermil}

// whyCharts draws the forecast against the forecast under the baseline
// plan, and each covariate's contribution with the carryover.
func whyCharts(ex *forecast.Explanation, freq data.Frequency) (template.HTML, template.HTML, error) {
	pts := make([]forecast.Point, len(ex.Steps))
	base, carry := make([]float64, len(ex.Steps)), make([]float64, len(ex.Steps))
	for i, st := range ex.Steps {
		pts[i] = forecast.Point{Date: st.Date, Value: st.Value}
		base[i], carry[i] = st.BaselineValue, st.Carryover
	}
	fc, err := pointsChart(freq, []pointLine{{"forecast", pts, colBlue, nil}, {"baseline plan", pts, colGrey, base}})
	if err != nil || len(ex.BaselinePlan) == 0 {
		return fc, "", err
	}
	lines := make([]pointLine, 0, len(ex.BaselinePlan)+1)
	for j, b := range ex.BaselinePlan {
		v := make([]float64, len(ex.Steps))
		for i, st := range ex.Steps {
			v[i] = st.Contributions[b.Name]
		}
		lines = append(lines, pointLine{b.Name, pts, effectColours[j%len(effectColours)], v})
	}
	lines = append(lines, pointLine{"carryover", pts, colGrey, carry})
	eff, err := pointsChart(freq, lines)
	return fc, eff, err
}
