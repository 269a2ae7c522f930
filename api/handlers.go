package api

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
)

// v1Store is the storage the /v1 handlers read and write.
// *sqlstore.Store implements it, on SQLite and PostgreSQL.
type v1Store interface {
	Ingest(ctx context.Context, parse func(fn func(data.Observation) error) error) (sqlstore.IngestStats, error)
	IngestCovariates(ctx context.Context, parse func(fn func(data.Observation) error) error) (sqlstore.IngestStats, error)
	ListSeries(ctx context.Context, store string, after data.Key, limit int) ([]sqlstore.SeriesInfo, error)
	GetJob(ctx context.Context, id string) (*sqlstore.Job, error)
	ListJobs(ctx context.Context, state, before string, limit int) ([]*sqlstore.Job, error)
	GetResult(ctx context.Context, k data.Key) (*sqlstore.Result, error)
	Plan(ctx context.Context, k data.Key, f sqlstore.PlanFilter, fn func(sqlstore.PlannedValue) error) error
	DeletePlan(ctx context.Context, k data.Key, f sqlstore.PlanFilter) (int64, error)
	DeleteSeries(ctx context.Context, k data.Key, r sqlstore.DateRange) (sqlstore.SeriesDeleted, error)
}

// v1API serves the /v1 endpoints that use the store. Its store field
// shadows Server.store: these handlers reach the store only through
// v1Store.
type v1API struct {
	*Server
	store v1Store
}

func (s *Server) router() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Store and SKU identifiers may contain escaped slashes; route on the
	// raw path and unescape the values.
	r.UseRawPath = true
	r.UnescapePathValues = true
	r.HandleMethodNotAllowed = true
	r.Use(s.recover(), s.securityHeaders())
	r.Use(s.opsMiddleware()...)
	r.Use(s.instrument())
	r.Use(s.deadlines())
	r.Use(s.securityMiddleware()...)
	r.NoRoute(func(c *gin.Context) {
		problem(c, http.StatusNotFound, "no route for "+c.Request.Method+" "+c.Request.URL.Path)
	})
	r.NoMethod(func(c *gin.Context) {
		problem(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" not allowed on "+c.Request.URL.Path)
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg,
		MaxRequestsInFlight: s.opts.Limits.MaxScrapes})))

	s.routesUI(r)

	h := &v1API{Server: s, store: s.store}
	v1 := r.Group("/v1")
	v1.POST("/sales", h.postSales)
	v1.POST("/covariates", h.postCovariates)
	v1.GET("/series", h.listSeries)
	v1.DELETE("/series/:store/:sku", h.deleteSeries)
	v1.GET("/series/:store/:sku/leaderboard", h.leaderboard)
	v1.GET("/series/:store/:sku/covariates", h.getPlan)
	v1.DELETE("/series/:store/:sku/covariates", h.deletePlan)
	v1.POST("/jobs", s.postJob)
	v1.GET("/jobs", h.listJobs)
	v1.GET("/jobs/:id", h.getJob)
	v1.DELETE("/jobs/:id", s.cancelJob)
	v1.GET("/forecasts/:store/:sku", s.withAsOf(h.getForecast))
	s.routesExplain(v1)
	s.routesAccuracy(v1)
	s.routesAttributes(v1, h)
	v1.GET("/models", s.listModels)
	s.routesSchedules(v1)
	v1.GET("/memguard/reports", s.memReports)
	v1.GET("/memguard/reports/:id", s.memReport)
	v1.GET("/memguard/reports/:id/heap.pb.gz", s.memProfile)
	mg := &memguardAPI{Server: s, store: s.store}
	v1.GET("/memguard/quarantine", mg.quarantine)
	v1.PUT("/memguard/quarantine/:model", mg.putQuarantine)
	v1.DELETE("/memguard/quarantine/:model", mg.unquarantine)
	v1.GET("/memguard/hunts", mg.memHunts)
	v1.GET("/memguard/hunts/:id", mg.memHunt)
	return r
}

func (s *Server) recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic in handler", "path", c.Request.URL.Path, "panic", fmt.Sprint(r))
				problem(c, http.StatusInternalServerError, "internal error")
			}
		}()
		c.Next()
	}
}

func (s *Server) readyz(c *gin.Context) {
	select {
	case <-s.ready:
	default:
		problem(c, http.StatusServiceUnavailable, "starting")
		return
	}
	if err := s.store.DB().PingContext(c.Request.Context()); err != nil {
		problem(c, http.StatusServiceUnavailable, "database: "+err.Error())
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// uploadParser picks the parser of an upload by its Content-Type, or
// answers 415 naming the accepted types.
func uploadParser(c *gin.Context, csvParse, ndjsonParse func(io.Reader, func(data.Observation) error) error, csvHeader string) (func(io.Reader, func(data.Observation) error) error, bool) {
	ct, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		ct = ""
	}
	switch ct {
	case "text/csv":
		return csvParse, true
	case "application/x-ndjson", "application/jsonl", "application/json-seq":
		return ndjsonParse, true
	}
	problem(c, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send text/csv with header %s or application/x-ndjson", c.GetHeader("Content-Type"), csvHeader))
	return nil, false
}

func (s *v1API) postSales(c *gin.Context) {
	if p, ok := newUploadParsers(c, true, s.opts.DataDir); ok {
		s.upload(c, p, csvHeaderHint(true), s.store.Ingest, s.scoreArrivals)
	}
}

// postCovariates stores covariate values known in advance (a promotion
// calendar, a price list), with the sales upload's guarantees: streamed,
// bounded, all or nothing. Training jobs extend each series' covariates
// past its last sale with them and give the candidates the covariates
// planned over the whole horizon.
func (s *v1API) postCovariates(c *gin.Context) {
	if p, ok := newUploadParsers(c, false, s.opts.DataDir); ok {
		s.upload(c, p, csvHeaderHint(false), s.store.IngestCovariates, nil)
	}
}

// upload parses the request body as its Content-Type says (uploadParser)
// with the parsers its query parameters set up (upload_options.go), and
// hands the observations to store, which keeps all or none of them;
// then, if set, scores the forecasts the stored rows were actuals of.
func (s *v1API) upload(c *gin.Context, p *uploadParsers, csvHeader string,
	store func(context.Context, func(fn func(data.Observation) error) error) (sqlstore.IngestStats, error),
	score func(context.Context) *jobs.ScoreReport) {
	parse, ok := uploadParser(c, p.csv, p.ndjson, csvHeader)
	if !ok {
		return
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxBodyBytes)
	st, err := store(c.Request.Context(), func(fn func(data.Observation) error) error { return parse(body, fn) })
	if err != nil {
		fail(c, err)
		return
	}
	res := uploadResult{IngestStats: st, Report: p.report}
	if score != nil {
		res.Accuracy = score(c.Request.Context())
	}
	c.JSON(http.StatusOK, res)
}

// seriesQueryParams are the query parameters of DELETE
// /v1/series/{store}/{sku}: a date range of sales. Any other is refused,
// so a misspelt range cannot delete the whole series.
var seriesQueryParams = []string{"from", "to"}

// deleteSeries removes a series: without a range its sales, planned
// covariates and published forecast; with from and/or to (inclusive, as
// the plan endpoints read them) only the sales in that range. It answers
// what it deleted; 404 for a series with neither sales nor plan.
func (s *v1API) deleteSeries(c *gin.Context) {
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	f, ok := queryFilter(c, seriesQueryParams)
	if !ok {
		return
	}
	d, err := s.store.DeleteSeries(c.Request.Context(), k, sqlstore.DateRange{From: f.From, Until: f.Until})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"store": k.Store, "sku": k.SKU, "deleted": d})
}

func pageSize(c *gin.Context) (int, bool) {
	v := c.Query("limit")
	if v == "" {
		return defaultPage, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		problemLimit(c, http.StatusBadRequest, limitPage, maxPage, fmt.Sprintf("limit %q: want an integer from 1 to %d", v, maxPage))
		return 0, false
	}
	return n, true
}

func (s *v1API) listSeries(c *gin.Context) {
	limit, ok := pageSize(c)
	if !ok {
		return
	}
	var after data.Key
	if cur := c.Query("after"); cur != "" {
		st, sku, found := strings.Cut(cur, "\x1f")
		if !found {
			problem(c, http.StatusBadRequest, "after: not a cursor returned by this endpoint")
			return
		}
		after = data.Key{Store: st, SKU: sku}
	}
	items, err := s.store.ListSeries(c.Request.Context(), c.Query("store"), after, limit)
	if err != nil {
		fail(c, err)
		return
	}
	resp := gin.H{"items": items, "next": nil}
	if items == nil {
		resp["items"] = []sqlstore.SeriesInfo{}
	}
	if len(items) == limit {
		last := items[len(items)-1]
		q := c.Request.URL.Query()
		q.Set("after", last.Store+"\x1f"+last.SKU)
		resp["next"] = "/v1/series?" + q.Encode()
	}
	c.JSON(http.StatusOK, resp)
}

func (s *Server) postJob(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJobBodyBytes))
	if err != nil {
		fail(c, err)
		return
	}
	p, err := jobs.DecodeParams(body, s.opts.Registry)
	if err != nil {
		problem(c, http.StatusBadRequest, err.Error())
		return
	}
	j, err := s.queue.EnqueueBounded(c.Request.Context(), p, c.GetHeader("X-Request-ID"), s.opts.Limits.MaxActiveJobs)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/v1/jobs/"+j.ID)
	c.JSON(http.StatusAccepted, gin.H{"id": j.ID, "state": j.State, "kind": j.Kind})
}

func (s *v1API) getJob(c *gin.Context) {
	row, err := s.store.GetJob(c.Request.Context(), c.Param("id"))
	j, err := s.liveJob(c.Request.Context(), row, err)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, j)
}

func (s *v1API) listJobs(c *gin.Context) {
	limit, ok := pageSize(c)
	if !ok {
		return
	}
	state := c.Query("state")
	switch state {
	case "", sqlstore.JobQueued, sqlstore.JobRunning, sqlstore.JobSucceeded, sqlstore.JobFailed, sqlstore.JobCancelled:
	default:
		problem(c, http.StatusBadRequest, fmt.Sprintf("state %q: want queued, running, succeeded, failed or cancelled", state))
		return
	}
	rows, err := s.store.ListJobs(c.Request.Context(), state, c.Query("before"), limit)
	if err != nil {
		fail(c, err)
		return
	}
	js, err := jobs.DecodeJobs(rows)
	if err != nil {
		fail(c, err)
		return
	}
	enc, err := withinPageBytes(js, maxPageBytes)
	if err != nil {
		fail(c, err)
		return
	}
	last := ""
	if len(enc) > 0 {
		last = js[len(enc)-1].ID
	}
	writePage(c, enc, len(enc) == limit || len(enc) < len(js), "/v1/jobs", last)
}

// writePage answers a page of items, with next the URL of the following
// page (the request's query with before set to the last item's ID) when
// more may follow.
func writePage(c *gin.Context, items any, more bool, path, last string) {
	resp := gin.H{"items": items, "next": nil}
	if more && last != "" {
		q := c.Request.URL.Query()
		q.Set("before", last)
		resp["next"] = path + "?" + q.Encode()
	}
	c.JSON(http.StatusOK, resp)
}

func (s *Server) cancelJob(c *gin.Context) {
	j, err := s.queue.Cancel(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, j)
}

func (s *v1API) result(c *gin.Context) (*sqlstore.Result, *forecast.Result, bool) {
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	r, err := s.store.GetResult(c.Request.Context(), k)
	if err != nil {
		fail(c, err)
		return nil, nil, false
	}
	var res forecast.Result
	if err := record.Result.Decode(r.Body, &res); err != nil {
		fail(c, fmt.Errorf("stored result of %s: %w", k, err))
		return nil, nil, false
	}
	return r, &res, true
}

// forecastView is the served shape of a forecast.
type forecastView struct {
	Store       string               `json:"store"`
	SKU         string               `json:"sku"`
	JobID       string               `json:"job_id"`
	GeneratedAt string               `json:"generated_at"`
	Horizon     int                  `json:"horizon"`
	Freq        data.Frequency       `json:"freq"`
	Points      []forecast.Point     `json:"points"`
	Models      []forecast.KeptModel `json:"models"`
	Covariates  []string             `json:"covariates,omitempty"`
	Fallback    string               `json:"fallback,omitempty"`
	// Class and Backtest say how completely the tournament ran (a
	// reduced backtest on a short history, a fallback) and why.
	Class    forecast.Class     `json:"class,omitempty"`
	Backtest *forecast.Backtest `json:"backtest,omitempty"`
	// CovariatesDropped are covariates of the history the forecast could
	// not use: they are not planned over the whole horizon.
	CovariatesDropped []forecast.DroppedCovariate `json:"covariates_dropped,omitempty"`
	// Reconciled names the hierarchical reconciliation that made the
	// forecast coherent with its job's aggregates (store or SKU _total).
	Reconciled string `json:"reconciled,omitempty"`
}

func (s *v1API) getForecast(c *gin.Context) {
	s.serveForecast(c, data.Key{Store: c.Param("store"), SKU: c.Param("sku")})
}

// serveForecast answers the published forecast of k.
func (s *v1API) serveForecast(c *gin.Context, k data.Key) {
	r, err := s.store.GetResult(c.Request.Context(), k)
	if err != nil {
		fail(c, err)
		return
	}
	// Decode only what is served: the leaderboard is most of a stored
	// result, and building it was most of a forecast read's cost.
	var res forecast.Result
	if err := record.DecodeResultServed(r.Body, &res); err != nil {
		fail(c, fmt.Errorf("stored result of %s: %w", k, err))
		return
	}
	c.JSON(http.StatusOK, forecastView{Store: res.Store, SKU: res.SKU, JobID: r.JobID,
		GeneratedAt: r.GeneratedAt.Format("2006-01-02T15:04:05.000Z07:00"), Horizon: res.Horizon, Freq: res.Freq,
		Points: res.Points, Models: res.Models, Covariates: res.Covariates, Fallback: res.Fallback,
		Class: res.Class, Backtest: res.Backtest, CovariatesDropped: res.CovariatesDropped, Reconciled: res.Reconciled})
}

func (s *v1API) leaderboard(c *gin.Context) {
	r, res, ok := s.result(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"store": res.Store, "sku": res.SKU, "job_id": r.JobID, "metric": res.Metric,
		"combine": res.Combine, "combination": res.Combination, "coverage_80": nullable(res.Coverage80),
		"coverage_95": nullable(res.Coverage95), "class": res.Class, "backtest": res.Backtest, "items": res.Leaderboard})
}

func nullable(v float64) any {
	if v != v {
		return nil
	}
	return v
}

func (s *Server) listModels(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": s.opts.Registry.Describe()})
}

// decodeJob decodes the job row a store read returned, or passes its
// error on.
func decodeJob(row *sqlstore.Job, err error) (*jobs.Job, error) {
	if err != nil {
		return nil, err
	}
	return jobs.DecodeJob(row)
}
