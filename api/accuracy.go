package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/forecast/accuracy"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
)

// accuracyStore is what the vintage and accuracy endpoints read;
// *sqlstore.Store implements it.
type accuracyStore interface {
	VintageAsOf(ctx context.Context, k data.Key, asOf time.Time) (*sqlstore.Vintage, error)
	Vintages(ctx context.Context, k data.Key, body bool) ([]*sqlstore.Vintage, error)
	VintageSteps(ctx context.Context, k data.Key) (map[string][]sqlstore.VintageStep, error)
	GetSeriesAccuracy(ctx context.Context, k data.Key) (*sqlstore.SeriesAccuracy, error)
	RankAccuracy(ctx context.Context, f sqlstore.AccuracyFilter, offset, limit int) ([]sqlstore.SeriesAccuracy, error)
	AggregateAccuracy(ctx context.Context, f sqlstore.AccuracyFilter, limit int) ([]sqlstore.AccuracyAggregate, sqlstore.AccuracyAggregate, error)
}

// accuracyAPI serves forecast vintages and their realized accuracy
// (issue 19).
type accuracyAPI struct {
	*Server
	store accuracyStore
}

func (s *Server) routesAccuracy(v1 *gin.RouterGroup) {
	h := &accuracyAPI{Server: s, store: s.store}
	v1.GET("/series/:store/:sku/accuracy", h.seriesAccuracy)
	v1.GET("/accuracy", h.rankAccuracy)
}

// withAsOf serves GET /v1/forecasts/{store}/{sku}?as_of=DATE from the
// kept vintages, and the published forecast through current without it.
func (s *Server) withAsOf(current gin.HandlerFunc) gin.HandlerFunc {
	h := &accuracyAPI{Server: s, store: s.store}
	return func(c *gin.Context) {
		if v, ok := c.GetQuery("as_of"); ok {
			h.forecastAsOf(c, v)
			return
		}
		current(c)
	}
}

// scoreArrivals scores the vintages an upload's sales arrived for. A
// failure does not fail the upload (its sales are stored): the report
// says it, the metrics count it, and the arrivals stay pending.
func (s *Server) scoreArrivals(ctx context.Context) *jobs.ScoreReport {
	if s.engine == nil || s.engine.Accuracy == nil {
		return nil
	}
	rep, err := s.engine.Accuracy.ScorePending(ctx)
	if err != nil {
		s.log.Error("scoring arrived sales failed", "err", err)
	}
	return &rep
}

// parseAsOf reads an as_of date: a date without a time of day covers
// the whole day.
func parseAsOf(v string) (time.Time, error) {
	t, err := ingest.ParseDate(v)
	if err != nil {
		return time.Time{}, err
	}
	if len(v) == len(ingest.DateLayout) {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, nil
}

// vintageView is a forecast as it was served: the vintage with the
// latest data cut-off on or before as_of.
type vintageView struct {
	forecastView
	Cutoff string `json:"cutoff"`
	AsOf   string `json:"as_of"`
}

// forecastAsOf answers GET /v1/forecasts/{store}/{sku}?as_of=DATE.
func (s *accuracyAPI) forecastAsOf(c *gin.Context, v string) {
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	asOf, err := parseAsOf(v)
	if err != nil {
		problem(c, http.StatusBadRequest, "as_of: "+err.Error())
		return
	}
	vin, err := s.store.VintageAsOf(c.Request.Context(), k, asOf)
	if err != nil {
		fail(c, err)
		return
	}
	var res forecast.Result
	if err := record.DecodeResultServed(vin.Body, &res); err != nil {
		fail(c, fmt.Errorf("stored vintage %s of %s: %w", vin.JobID, k, err))
		return
	}
	c.JSON(http.StatusOK, vintageView{forecastView: forecastView{Store: res.Store, SKU: res.SKU, JobID: vin.JobID,
		GeneratedAt: vin.PublishedAt.Format("2006-01-02T15:04:05.000Z07:00"), Horizon: res.Horizon, Freq: res.Freq,
		Points: res.Points, Models: res.Models, Covariates: res.Covariates, Fallback: res.Fallback,
		Class: res.Class, Backtest: res.Backtest, CovariatesDropped: res.CovariatesDropped},
		Cutoff: res.LastDate, AsOf: v})
}

// stepView is one realized step of a vintage.
type stepView struct {
	Step      int      `json:"step"`
	Date      string   `json:"date"`
	Forecast  float64  `json:"forecast"`
	Lower     float64  `json:"lower"`
	Upper     float64  `json:"upper"`
	Lower95   float64  `json:"lower_95"`
	Upper95   float64  `json:"upper_95"`
	Actual    float64  `json:"actual"`
	AbsError  float64  `json:"abs_error"`
	Covered80 bool     `json:"covered_80"`
	Covered95 bool     `json:"covered_95"`
	Pinball   *float64 `json:"pinball"`
}

// scoresView are realized scores; an undefined one is null.
type scoresView struct {
	Steps      int      `json:"steps"`
	WAPE       *float64 `json:"wape"`
	MASE       *float64 `json:"mase"`
	Bias       *float64 `json:"bias"`
	Coverage80 *float64 `json:"coverage_80"`
	Coverage95 *float64 `json:"coverage_95"`
	Pinball    *float64 `json:"pinball"`
}

func viewScores(s accuracy.Scores) scoresView {
	return scoresView{Steps: s.N, WAPE: orNull(s.WAPE), MASE: orNull(s.MASE), Bias: orNull(s.Bias),
		Coverage80: orNull(s.Coverage80), Coverage95: orNull(s.Coverage95), Pinball: orNull(s.Pinball)}
}

// vintageAccuracy is one vintage of a series with its realized scores.
type vintageAccuracy struct {
	JobID        string   `json:"job_id"`
	Cutoff       string   `json:"cutoff"`
	PublishedAt  string   `json:"published_at"`
	FirstDate    string   `json:"first_date"`
	LastDate     string   `json:"last_date"`
	Scale        *float64 `json:"scale"`
	BacktestWAPE *float64 `json:"backtest_wape"`
	scoresView
	ByStep []stepView `json:"by_step"`
}

// driftView is the judgement of a series.
type driftView struct {
	JobID        string   `json:"job_id"`
	Judged       bool     `json:"judged"`
	Drifting     bool     `json:"drifting"`
	Reasons      []string `json:"reasons"`
	BacktestWAPE *float64 `json:"backtest_wape"`
	WAPELimit    *float64 `json:"wape_limit"`
	CoverageP    *float64 `json:"coverage_p"`
}

func viewDrift(a *sqlstore.SeriesAccuracy) *driftView {
	if a == nil {
		return nil
	}
	reasons := []string{}
	if a.Reasons != "" {
		reasons = strings.Split(a.Reasons, "; ")
	}
	return &driftView{JobID: a.JobID, Judged: a.Judged, Drifting: a.Drifting, Reasons: reasons,
		BacktestWAPE: orNull(a.BacktestWAPE), WAPELimit: orNull(a.WAPELimit), CoverageP: orNull(a.CoverageP)}
}

// seriesAccuracy answers GET /v1/series/{store}/{sku}/accuracy: every
// kept vintage, newest cut-off first, scored on the actuals that have
// arrived for it, step by step, and the series' drift judgement.
func (s *accuracyAPI) seriesAccuracy(c *gin.Context) {
	if !onlyParams(c) {
		return
	}
	ctx := c.Request.Context()
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	vs, err := s.store.Vintages(ctx, k, false)
	if err != nil {
		fail(c, err)
		return
	}
	if len(vs) == 0 {
		problem(c, http.StatusNotFound, fmt.Sprintf("no forecast of %s is kept", k))
		return
	}
	steps, err := s.store.VintageSteps(ctx, k)
	if err != nil {
		fail(c, err)
		return
	}
	judgement, err := s.store.GetSeriesAccuracy(ctx, k)
	if err != nil && !isNotFound(err) {
		fail(c, err)
		return
	}
	items := make([]vintageAccuracy, 0, len(vs))
	for _, v := range vs {
		st := steps[v.JobID]
		sc := accuracy.Score(jobs.AccuracySteps(st), v.Scale)
		by := make([]stepView, len(st))
		for i, x := range st {
			one := accuracy.Score(jobs.AccuracySteps(st[i:i+1]), math.NaN())
			by[i] = stepView{Step: x.Step, Date: x.Date.Format(dateLayout(x.Date)), Forecast: x.Value, Lower: x.Lower80, Upper: x.Upper80,
				Lower95: x.Lower95, Upper95: x.Upper95, Actual: x.Actual, AbsError: one.AbsError,
				Covered80: one.Covered80 == 1, Covered95: one.Coverage95 == 1, Pinball: orNull(one.Pinball)}
		}
		items = append(items, vintageAccuracy{JobID: v.JobID, Cutoff: v.Cutoff.Format(dateLayout(v.Cutoff)),
			PublishedAt: v.PublishedAt.Format(time.RFC3339), FirstDate: v.First.Format(dateLayout(v.First)),
			LastDate: v.Last.Format(dateLayout(v.Last)), Scale: orNull(v.Scale), BacktestWAPE: orNull(v.BacktestWAPE),
			scoresView: viewScores(sc), ByStep: by})
	}
	var drift *driftView
	if judgement != nil {
		drift = viewDrift(judgement)
	}
	c.JSON(http.StatusOK, gin.H{"store": k.Store, "sku": k.SKU, "drift": drift, "items": items})
}

// seriesRank is one line of the accuracy ranking.
type seriesRank struct {
	Store  string `json:"store"`
	SKU    string `json:"sku"`
	Cutoff string `json:"cutoff"`
	scoresView
	driftView
}

// aggregateView is the realized accuracy of a store, or of all.
type aggregateView struct {
	Store      string   `json:"store,omitempty"`
	Series     int      `json:"series"`
	Drifting   int      `json:"drifting"`
	Steps      int      `json:"steps"`
	WAPE       *float64 `json:"wape"`
	Coverage80 *float64 `json:"coverage_80"`
}

func viewAggregate(a sqlstore.AccuracyAggregate) aggregateView {
	v := aggregateView{Store: a.Store, Series: a.Series, Drifting: a.Drifting, Steps: a.Steps}
	if a.AbsActual > 0 {
		v.WAPE = orNull(a.AbsError / a.AbsActual)
	}
	if a.Steps > 0 {
		v.Coverage80 = orNull(float64(a.Covered80) / float64(a.Steps))
	}
	return v
}

// accuracyParams are the query parameters of GET /v1/accuracy.
var accuracyParams = []string{"store", "drifting", "limit", "offset"}

// rankAccuracy answers GET /v1/accuracy: series ranked by realized WAPE
// on the vintage each was last judged on (worst first), a page at a
// time, with aggregates by store and in total over the series the
// filters select, and the drift rule.
func (s *accuracyAPI) rankAccuracy(c *gin.Context) {
	if !onlyParams(c, accuracyParams...) {
		return
	}
	f := sqlstore.AccuracyFilter{Store: c.Query("store")}
	if v, ok := c.GetQuery("drifting"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problem(c, http.StatusBadRequest, fmt.Sprintf("drifting %q: want true or false", v))
			return
		}
		f.DriftingOnly = b
	}
	limit, ok := pageSize(c)
	if !ok {
		return
	}
	offset := 0
	if v, ok := c.GetQuery("offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1<<30 {
			problem(c, http.StatusBadRequest, fmt.Sprintf("offset %q: want a non-negative integer (use next)", v))
			return
		}
		offset = n
	}
	ctx := c.Request.Context()
	rows, err := s.store.RankAccuracy(ctx, f, offset, limit)
	if err != nil {
		fail(c, err)
		return
	}
	stores, total, err := s.store.AggregateAccuracy(ctx, f, maxPage)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]seriesRank, len(rows))
	for i := range rows {
		a := &rows[i]
		sc := accuracy.Scores{N: a.Steps, WAPE: a.WAPE, MASE: a.MASE, Bias: a.Bias, Coverage80: a.Coverage80,
			Coverage95: a.Coverage95, Pinball: a.Pinball}
		items[i] = seriesRank{Store: a.Key.Store, SKU: a.Key.SKU, Cutoff: a.Cutoff.Format(dateLayout(a.Cutoff)),
			scoresView: viewScores(sc), driftView: *viewDrift(a)}
	}
	byStore := make([]aggregateView, len(stores))
	for i, a := range stores {
		byStore[i] = viewAggregate(a)
	}
	var next any
	if len(rows) == limit {
		q := c.Request.URL.Query()
		q.Set("offset", strconv.Itoa(offset+limit))
		next = "/v1/accuracy?" + q.Encode()
	}
	r := accuracy.DefaultRule
	c.JSON(http.StatusOK, gin.H{"items": items, "next": next, "total": viewAggregate(total), "stores": byStore,
		"rule": gin.H{"min_steps": r.MinSteps, "wape_factor": r.WAPEFactor, "wape_slack": r.WAPESlack, "alpha": r.Alpha}})
}

// onlyParams refuses a query parameter not in allowed, so that a
// misspelt filter is not silently ignored.
func onlyParams(c *gin.Context, allowed ...string) bool {
	for k := range c.Request.URL.Query() {
		if !slices.Contains(allowed, k) {
			want := "none"
			if len(allowed) > 0 {
				want = strings.Join(allowed, ", ")
			}
			problem(c, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q: want %s", k, want))
			return false
		}
	}
	return true
}

// dateLayout shows a date as a day, or with its time of day when it has
// one.
func dateLayout(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return ingest.DateLayout
	}
	return ingest.DateTimeLayout
}

// orNull is v, or nil (JSON null) when it is not a number.
func orNull(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func isNotFound(err error) bool { return errors.Is(err, sqlstore.ErrNotFound) }

// drainEvery is how often the server scores arrivals an upload left
// pending (its scoring ran out of time, failed, or was cancelled with the
// request).
const drainEvery = time.Minute

// arrivalDrain is the server's background scorer; Stop ends it.
type arrivalDrain struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startDrain starts the background scorer, a round every interval (nil
// without a scorer).
func (s *Server) startDrain(every time.Duration) *arrivalDrain {
	if s.engine == nil || s.engine.Accuracy == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &arrivalDrain{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := s.engine.Accuracy.ScorePending(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("scoring pending arrivals failed; retried in a minute", "err", err)
				}
			}
		}
	}()
	return d
}

// stop ends the scorer, waiting for a round in progress within ctx.
func (d *arrivalDrain) stop(ctx context.Context) error {
	if d == nil {
		return nil
	}
	d.cancel()
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("api: stop scoring: %w", ctx.Err())
	}
}
