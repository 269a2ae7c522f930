package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
)

// The "why" and "what if" endpoints re-run a series' kept models from
// their stored states (nothing is refitted or stored):
// GET /v1/forecasts/{store}/{sku}/explain and POST .../scenarios
// (scenario.go). Both cost a few forecasts of every kept model, so they
// are bounded in time (Limits.ExplainTimeout) and in how many run at
// once (maxConcurrentExplains), besides the read budget of the series.

// explainStore is the storage the explain and scenario endpoints read.
// *sqlstore.Store implements it.
type explainStore interface {
	GetResultModels(ctx context.Context, k data.Key) (*sqlstore.Result, error)
	LoadSeries(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, error)
	SeriesExtent(ctx context.Context, k data.Key) (sqlstore.Extent, error)
}

// explainAPI serves the explain and scenario endpoints.
type explainAPI struct {
	*Server
	store explainStore
}

func (s *Server) routesExplain(v1 *gin.RouterGroup) {
	h := &explainAPI{Server: s, store: s.store}
	v1.GET("/forecasts/:store/:sku/explain", h.explain)
	v1.POST("/forecasts/:store/:sku/scenarios", h.scenario)
}

// explained is what the endpoints compute from: the series as stored, its
// published result and the kept models.
type explained struct {
	series *data.Series
	res    *forecast.Result
	kept   []forecast.Kept
	jobID  string
	// quarantined are the kept models left out: memguard found them
	// leaking, and a refresh leaves them out too.
	quarantined []string
}

// withoutQuarantined drops the quarantined models from kept, as a
// refresh job does (the combination re-weights those that remain), and
// returns the names left out.
func (s *Server) withoutQuarantined(kept []forecast.Kept) ([]forecast.Kept, []string) {
	if s.guard == nil {
		return kept, nil
	}
	var left []string
	out := make([]forecast.Kept, 0, len(kept))
	for _, k := range kept {
		if s.guard.IsQuarantined(k.Name) {
			left = append(left, k.Name)
			continue
		}
		out = append(out, k)
	}
	return out, left
}

// quarantineNote says which kept models an answer leaves out.
func quarantineNote(left []string) string {
	return "left out, as memguard quarantined them (a refresh leaves them out too): " + strings.Join(left, ", ")
}

// load reads the series, its result and kept models, answering the
// problem and false when it cannot: 404 without a forecast, 409 for a
// fallback forecast (no kept models), 422 past the read budget.
func (s *explainAPI) load(c *gin.Context) (*explained, bool) {
	ctx := c.Request.Context()
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	r, err := s.store.GetResultModels(ctx, k)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	ex := &explained{jobID: r.JobID}
	var res forecast.Result
	if err := record.Result.Decode(r.Body, &res); err != nil {
		fail(c, fmt.Errorf("stored result of %s: %w", k, err))
		return nil, false
	}
	ex.res = &res
	if len(r.Models) > 0 {
		if err := record.Kept.Decode(r.Models, &ex.kept); err != nil {
			fail(c, fmt.Errorf("stored models of %s: %w", k, err))
			return nil, false
		}
	}
	ex.kept, ex.quarantined = s.withoutQuarantined(ex.kept)
	if len(ex.kept) == 0 && len(ex.quarantined) > 0 {
		problem(c, http.StatusConflict, fmt.Sprintf("every model the forecast of %s kept is quarantined (%s): none is re-run; run a training job",
			k, strings.Join(ex.quarantined, ", ")))
		return nil, false
	}
	if len(ex.kept) == 0 {
		problem(c, http.StatusConflict, fmt.Sprintf("the forecast of %s kept no models (%s): there is nothing to explain or re-run; run a training job",
			k, orText(res.Fallback, "a fallback")))
		return nil, false
	}
	e, err := s.store.SeriesExtent(ctx, k)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	if n, budget := e.Points(), s.opts.Limits.MaxReadPoints; n > int64(budget) {
		problemLimit(c, http.StatusUnprocessableEntity, limitReadPoints, budget,
			fmt.Sprintf("series %s would load up to %d values, more than the %s of %d a read may load", k, n, limitReadPoints, budget))
		return nil, false
	}
	ss, err := s.store.LoadSeries(ctx, sqlstore.SeriesFilter{Stores: []string{k.Store}, SKUs: []string{k.SKU}})
	if err != nil {
		fail(c, err)
		return nil, false
	}
	if len(ss) == 0 {
		problem(c, http.StatusConflict, fmt.Sprintf("series %s has a forecast but no sales any more: nothing to re-run the models on", k))
		return nil, false
	}
	ex.series = ss[0]
	return ex, true
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// run runs fn in one of the explain slots under Limits.ExplainTimeout,
// answering the problem and false when no slot is free, the time runs
// out or fn fails.
func (s *explainAPI) run(c *gin.Context, fn func(ctx context.Context) error) bool {
	select {
	case s.explainSlots <- struct{}{}:
		defer func() { <-s.explainSlots }()
	default:
		c.Header("Retry-After", "1")
		problemLimit(c, http.StatusServiceUnavailable, limitConcurrentExplains, maxConcurrentExplains,
			strconv.Itoa(maxConcurrentExplains)+" explanations or scenarios are running; retry")
		return false
	}
	limit := s.opts.Limits.ExplainTimeout
	ctx, cancel := context.WithTimeout(c.Request.Context(), limit)
	defer cancel()
	err := fn(ctx)
	switch {
	case err == nil:
		return true
	case errors.Is(err, forecast.ErrHistoryChanged):
		problem(c, http.StatusConflict, err.Error()+"; run a training job")
	case errors.Is(err, context.DeadlineExceeded) && c.Request.Context().Err() == nil:
		problemLimit(c, http.StatusServiceUnavailable, limitExplainTime, durationText(limit),
			"the kept models did not finish within "+durationText(limit))
	default:
		var fe *fieldError
		if errors.As(err, &fe) {
			problem(c, http.StatusBadRequest, fe.Error())
			return false
		}
		fail(c, err)
	}
	return false
}

// explanationView is the served explanation.
type explanationView struct {
	*forecast.Explanation
	JobID string `json:"job_id"`
}

func (s *explainAPI) explain(c *gin.Context) {
	ex, ok := s.load(c)
	if !ok {
		return
	}
	var out *forecast.Explanation
	start := time.Now()
	if !s.run(c, func(ctx context.Context) (err error) {
		out, err = forecast.Explain(ctx, ex.series, ex.res, ex.kept, s.opts.Registry)
		return err
	}) {
		return
	}
	if len(ex.quarantined) > 0 {
		out.Notes = append(out.Notes, quarantineNote(ex.quarantined))
	}
	s.log.Debug("explained", "series", ex.series.Key.String(), "seconds", time.Since(start).Seconds())
	c.JSON(http.StatusOK, explanationView{Explanation: out, JobID: ex.jobID})
}
