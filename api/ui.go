package api

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
)

//go:embed templates/*.html
var uiFS embed.FS

// uiTemplates are parsed once; they are read-only afterwards.
var uiTemplates = template.Must(template.New("ui").Funcs(template.FuncMap{
	"ts":   func(t time.Time) string { return fmtTime(t) },
	"tsp":  func(t *time.Time) string { return fmtTimePtr(t) },
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"pct":  func(p float64) string { return strconv.FormatFloat(100*clamp01(p), 'f', 0, 64) + "%" },
	"barStyle": func(p float64) template.CSS {
		return template.CSS("width:" + strconv.FormatFloat(100*clamp01(p), 'f', 1, 64) + "%")
	},
	"bytes":    fmtBytes,
	"num":      fmtNum,
	"count":    fmtCount,
	"seconds":  fmtSeconds,
	"duration": fmtDuration,
	"durationp": func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmtDuration(*v)
	},
	"seriesURL": seriesURL,
	"jobURL":    jobURL,
	// memguard's hunts (memguard_ui.go).
	"huntURL":     huntURL,
	"huntSeconds": fmtHuntSeconds,
	"bytes64":     func(v float64) string { return fmtBytes(int64(v)) },
	"nump": func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmtNum(*v)
	},
}).ParseFS(uiFS, "templates/*.html"))

// Dashboard limits: enough to be useful, bounded so a page stays fast.
const (
	uiJobs          = 50  // jobs listed and marked on the memory chart
	uiReportBars    = 30  // bars in the retained-bytes chart
	uiReportDetails = 5   // leak reports shown with their sites
	uiSeriesPage    = 100 // series per page
	uiHistoryTimes  = 3   // history shown, in horizons
)

// dashboardStore is the storage the dashboard reads. *sqlstore.Store
// implements it, on SQLite and PostgreSQL.
type dashboardStore interface {
	ListJobs(ctx context.Context, state, before string, limit int) ([]*sqlstore.Job, error)
	ListSeries(ctx context.Context, store string, after data.Key, limit int) ([]sqlstore.SeriesInfo, error)
	GetResult(ctx context.Context, k data.Key) (*sqlstore.Result, error)
	LoadSeries(ctx context.Context, f sqlstore.SeriesFilter) ([]*data.Series, error)
	SeriesExtent(ctx context.Context, k data.Key) (sqlstore.Extent, error)
	Plan(ctx context.Context, k data.Key, f sqlstore.PlanFilter, fn func(sqlstore.PlannedValue) error) error
	GetJob(ctx context.Context, id string) (*sqlstore.Job, error)
}

// dashboard serves the web pages. Its store field shadows Server.store:
// the pages reach the store only through dashboardStore.
type dashboard struct {
	*Server
	store dashboardStore
	// mg reads memguard's quarantine and hunts (memguard_ui.go).
	mg *memguardAPI
}

// routesUI adds the web dashboard and the OpenAPI document.
func (s *Server) routesUI(r *gin.Engine) {
	d := &dashboard{Server: s, store: s.store, mg: &memguardAPI{Server: s, store: s.store}}
	r.GET("/openapi.json", s.openAPI)
	r.GET("/ui", d.uiOverview)
	r.GET("/ui/series", d.uiSeriesList)
	r.GET("/ui/series/:store/:sku", d.uiSeries)
	r.GET("/ui/jobs/:id", d.uiJob)
	r.GET("/ui/memguard/hunts/:id", d.mg.uiHunt)
	r.GET("/ui/accuracy", s.uiAccuracy)
}

// render executes a page into a buffer first, so a template failure can
// still answer with a clean error page instead of half a document.
func (s *Server) render(c *gin.Context, status int, name string, v any) {
	var buf bytes.Buffer
	if err := uiTemplates.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("render page", "page", name, "err", err, "request_id", c.GetHeader(requestIDHeader))
		s.uiError(c, http.StatusInternalServerError, "The page could not be rendered.")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

type uiErrorPage struct {
	Title, Message, RequestID string
	Status                    int
	Refresh                   bool // never: an error page does not reload itself
}

// uiError answers with a friendly HTML page; clients that ask for JSON
// get the usual problem document.
func (s *Server) uiError(c *gin.Context, status int, msg string) {
	if strings.Contains(c.GetHeader("Accept"), "json") {
		problem(c, status, msg)
		return
	}
	var buf bytes.Buffer
	err := uiTemplates.ExecuteTemplate(&buf, "error.html", uiErrorPage{Title: http.StatusText(status), Message: msg,
		RequestID: c.GetHeader(requestIDHeader), Status: status})
	if err != nil {
		problem(c, status, msg)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// uiFail maps a store error like fail does, with an HTML page.
func (s *Server) uiFail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
		s.uiError(c, http.StatusNotFound, err.Error())
	case errors.Is(err, sqlstore.ErrUnassemblable):
		// Data stored before the upload checks (or that slipped past
		// them): the page says why, the rest of the dashboard works, and
		// DELETE /v1/series/{store}/{sku} removes it.
		s.uiError(c, http.StatusUnprocessableEntity, "This series cannot be shown: "+err.Error()+
			". Jobs leave it out; DELETE /v1/series/{store}/{sku} removes it.")
	case c.Request.Context().Err() != nil:
		s.uiError(c, http.StatusServiceUnavailable, "The request was cancelled.")
	default:
		s.log.Error("dashboard", "path", c.Request.URL.Path, "err", err, "request_id", c.GetHeader(requestIDHeader))
		s.uiError(c, http.StatusInternalServerError, "Internal error: "+err.Error())
	}
}

type overviewPage struct {
	Title string
	// Refresh reloads the page every few seconds while a listed job is
	// queued or running (a meta refresh: the pages run no scripts).
	Refresh        bool
	Interval       time.Duration
	MemChart       template.HTML
	GoroutineChart template.HTML
	RetainedChart  template.HTML
	Jobs           []*jobs.Job
	Reports        []*memguard.Report // charted, oldest first
	LatestReports  []*memguard.Report // detailed, latest first
	Resources      []resourceRow      // per kind, its latest report
	// Memguard is the quarantine and the latest hunts.
	Memguard memguardSection
}

// resourceRow is what the overview shows of a kind's memory outside the
// Go heap: the latest report of the kind, with its readings before and
// after the run, and the verdict on each of the three series ("" when
// the series was not judged: off-heap measurement off, or not Linux).
type resourceRow struct {
	*memguard.Report
	OffHeapState, FDsState, MapsState string
}

// resourceRows returns a row for the latest report of each kind in reps
// (latest first), ordered by kind.
func resourceRows(reps []*memguard.Report) []resourceRow {
	var rows []resourceRow
	seen := map[string]bool{}
	for _, r := range reps {
		if seen[r.Kind] {
			continue
		}
		seen[r.Kind] = true
		row := resourceRow{Report: r}
		for _, j := range r.Verdict.Judgements {
			switch j.Resource {
			case memguard.ResourceOffHeap:
				row.OffHeapState = j.State
			case memguard.ResourceFDs:
				row.FDsState = j.State
			case memguard.ResourceMaps:
				row.MapsState = j.State
			}
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b resourceRow) int { return strings.Compare(a.Kind, b.Kind) })
	return rows
}

func (s *dashboard) uiOverview(c *gin.Context) {
	ctx := c.Request.Context()
	rows, err := s.store.ListJobs(ctx, "", "", uiJobs)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	js, err := jobs.DecodeJobs(rows)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	page := overviewPage{Title: "Overview", Interval: s.opts.Ops.MonitorInterval, Jobs: js,
		Refresh: slices.ContainsFunc(js, func(j *jobs.Job) bool { return jobActive(j.State) })}

	if samples := s.ops().monitor.Samples(); len(samples) >= 2 {
		spans := make([]jobSpan, 0, len(js))
		for _, j := range js {
			if j.StartedAt == nil {
				continue
			}
			sp := jobSpan{Start: *j.StartedAt, Failed: j.State == sqlstore.JobFailed}
			if j.FinishedAt != nil {
				sp.End = *j.FinishedAt
			}
			spans = append(spans, sp)
		}
		if page.MemChart, page.GoroutineChart, err = memoryChart(samples, spans); err != nil {
			s.uiFail(c, err)
			return
		}
	}

	reps := s.guard.Reports() // latest first
	page.LatestReports = reps[:min(len(reps), uiReportDetails)]
	page.Resources = resourceRows(reps)
	charted := reps[:min(len(reps), uiReportBars)]
	if len(charted) > 0 {
		jobOf := reportJobs(js)
		page.Reports = make([]*memguard.Report, len(charted))
		labels := make([]string, len(charted))
		for i, r := range charted {
			k := len(charted) - 1 - i
			page.Reports[k] = r
			labels[k] = r.Kind + " " + shortID(r.ID)
			if id, ok := jobOf[r.ID]; ok {
				labels[k] = r.Kind + " " + shortID(id)
			}
		}
		if page.RetainedChart, err = retainedChart(page.Reports, labels); err != nil {
			s.uiFail(c, err)
			return
		}
	}

	if page.Memguard, err = s.mg.memguardOverview(ctx); err != nil {
		s.uiFail(c, err)
		return
	}
	s.render(c, http.StatusOK, "overview.html", page)
}

// reportJobs maps memguard report IDs to the jobs whose memory summary
// names them.
func reportJobs(js []*jobs.Job) map[string]string {
	out := make(map[string]string, len(js))
	for _, j := range js {
		if j.Memory != nil && j.Memory.ReportID != "" {
			out[j.Memory.ReportID] = j.ID
		}
	}
	return out
}

// shortID keeps the tail of an ID, the part that differs between
// neighbours, so bar labels stay legible.
func shortID(id string) string {
	if len(id) <= 10 {
		return id
	}
	return "…" + id[len(id)-8:]
}

type seriesListPage struct {
	Title   string
	Refresh bool
	Items   []sqlstore.SeriesInfo
	Next    string
	First   bool
}

func (s *dashboard) uiSeriesList(c *gin.Context) {
	var after data.Key
	if cur := c.Query("after"); cur != "" {
		st, sku, ok := strings.Cut(cur, "\x1f")
		if !ok {
			s.uiError(c, http.StatusBadRequest, "The page link is not valid; start from the first page.")
			return
		}
		after = data.Key{Store: st, SKU: sku}
	}
	items, err := s.store.ListSeries(c.Request.Context(), c.Query("store"), after, uiSeriesPage)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	page := seriesListPage{Title: "Series", Items: items, First: after != data.Key{}}
	if len(items) == uiSeriesPage {
		last := items[len(items)-1]
		q := url.Values{"after": {last.Store + "\x1f" + last.SKU}}
		if st := c.Query("store"); st != "" {
			q.Set("store", st)
		}
		page.Next = "/ui/series?" + q.Encode()
	}
	s.render(c, http.StatusOK, "series_list.html", page)
}

type seriesPage struct {
	Title       string
	Refresh     bool
	Store, SKU  string
	HasForecast bool
	Result      *forecast.Result
	JobID       string
	GeneratedAt time.Time
	HistoryLen  int
	Shown       int
	Chart       template.HTML
	APIURL      string
	// Planned is the plan over the forecast dates as it is now, and the
	// covariates the forecast used, by name.
	Planned []plannedCovariate
	PlanURL string
	// Why is the explanation and the scenario (ui_explain.go).
	Why *seriesWhy
}

// plannedCovariate is one covariate on the series page: what is planned
// for it over the forecast dates, and whether the forecast used it.
type plannedCovariate struct {
	Name     string
	Used     bool     // in Result.Covariates: the candidates were given it
	Planned  int      // forecast dates with a planned value
	NonZero  []string // forecast dates with a non-zero one, as the forecast writes dates
	Min, Max float64  // over the planned values
	Swatch   template.CSS
}

// NonZeroDates lists the first non-zero dates, enough to find them on the
// chart without a horizon's worth of text.
func (p plannedCovariate) NonZeroDates() string {
	const shown = 8
	if len(p.NonZero) <= shown {
		return strings.Join(p.NonZero, ", ")
	}
	return strings.Join(p.NonZero[:shown], ", ") + fmt.Sprintf(" and %d more", len(p.NonZero)-shown)
}

func (s *dashboard) uiSeries(c *gin.Context) {
	ctx := c.Request.Context()
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	page := seriesPage{Title: k.Store + " / " + k.SKU, Store: k.Store, SKU: k.SKU,
		APIURL:  "/v1/forecasts/" + url.PathEscape(k.Store) + "/" + url.PathEscape(k.SKU),
		PlanURL: "/v1/series/" + url.PathEscape(k.Store) + "/" + url.PathEscape(k.SKU) + "/covariates"}

	r, err := s.store.GetResult(ctx, k)
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
	case err != nil:
		s.uiFail(c, err)
		return
	default:
		// The record reads an undefined coverage as NaN: the page shows
		// a dash, not 0%.
		var res forecast.Result
		if err := record.Result.Decode(r.Body, &res); err != nil {
			s.uiFail(c, fmt.Errorf("stored result of %s: %w", k, err))
			return
		}
		page.HasForecast, page.Result, page.JobID, page.GeneratedAt = true, &res, r.JobID, r.GeneratedAt
	}

	if !s.withinReadBudget(c, k) {
		return
	}
	ss, err := s.store.LoadSeries(ctx, sqlstore.SeriesFilter{Stores: []string{k.Store}, SKUs: []string{k.SKU}})
	if err != nil {
		s.uiFail(c, err)
		return
	}
	var series *data.Series
	if len(ss) > 0 {
		series = ss[0]
		page.HistoryLen = series.Len()
	}
	if series == nil && !page.HasForecast {
		s.uiError(c, http.StatusNotFound, fmt.Sprintf("There is no series %s: no sales were uploaded for it.", k))
		return
	}
	horizon := 28
	if page.HasForecast && page.Result.Horizon > 0 {
		horizon = page.Result.Horizon
	}
	show := uiHistoryTimes * horizon
	if series != nil {
		page.Shown = min(show, series.Len())
	}
	var marks []dateMarks
	if page.HasForecast {
		if page.Planned, marks, err = s.forecastPlan(ctx, k, page.Result); err != nil {
			s.uiFail(c, err)
			return
		}
	}
	if page.Chart, err = forecastChart(series, page.Result, show, marks); err != nil {
		s.uiFail(c, err)
		return
	}
	status := http.StatusOK
	if page.HasForecast {
		page.Why, status = s.seriesWhy(c, k, series, page.Result) // ui_explain.go
	}
	s.render(c, status, "series.html", page)
}

// withinReadBudget refuses, with 422 naming Limits.MaxReadPoints, to load
// a series that would hold more values than it: the span of its dates
// and its covariates, not its rows, decide what loading it allocates
// (two sales centuries apart fill every step between), so the check
// reads the store's extent of the series before loading anything.
func (s *dashboard) withinReadBudget(c *gin.Context, k data.Key) bool {
	e, err := s.store.SeriesExtent(c.Request.Context(), k)
	if err != nil {
		s.uiFail(c, err)
		return false
	}
	budget := s.opts.Limits.MaxReadPoints
	if n := e.Points(); n > int64(budget) {
		msg := fmt.Sprintf("Series %s would load up to %d values (%d covariates over %s to %s), more than the %s of %d a read may load.",
			k, n, e.Covariates, e.First.Format(time.DateOnly), e.Last.Format(time.DateOnly), limitReadPoints, budget)
		if strings.Contains(c.GetHeader("Accept"), "json") {
			problemLimit(c, http.StatusUnprocessableEntity, limitReadPoints, budget, msg)
		} else {
			s.uiError(c, http.StatusUnprocessableEntity, msg)
		}
		return false
	}
	return true
}

// forecastPlan reads the plan of k over the dates of res's points and
// summarises it by covariate (planSummary).
func (s *dashboard) forecastPlan(ctx context.Context, k data.Key, res *forecast.Result) ([]plannedCovariate, []dateMarks, error) {
	step := make(map[int64]bool, len(res.Points))
	var f sqlstore.PlanFilter
	for _, pt := range res.Points {
		t, err := time.Parse(res.Freq.Layout(), pt.Date)
		if err != nil {
			return nil, nil, fmt.Errorf("api: forecast date %q of %s: %w", pt.Date, k, err)
		}
		step[t.Unix()] = true
		if f.From.IsZero() || t.Before(f.From) {
			f.From = t
		}
		if t.Add(time.Second).After(f.Until) {
			f.Until = t.Add(time.Second)
		}
	}
	var plan []sqlstore.PlannedValue
	if len(step) > 0 {
		err := s.store.Plan(ctx, k, f, func(v sqlstore.PlannedValue) error {
			// Off-grid dates name no step: training ignores them too.
			if step[v.Date.Unix()] {
				plan = append(plan, v)
			}
			return nil
		})
		// A forecast whose series has no sales left has no plan either.
		if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
			return nil, nil, err
		}
	}
	covs, marks := planSummary(plan, res.Covariates, res.Freq.Layout())
	return covs, marks, nil
}

// planSummary summarises plan (sorted by name, then date, as Store.Plan
// reads it) by covariate, with the covariates the forecast used and no
// longer planned, sorted by name. It shades a covariate's non-zero dates
// when they mark events: some planned dates are zero (a promotion
// calendar), or all are one (a promotion every day). A covariate never
// zero (a price) would shade every date and mark nothing; it is listed
// only. At most len(markColours) are shaded.
func planSummary(plan []sqlstore.PlannedValue, used []string, layout string) ([]plannedCovariate, []dateMarks) {
	var covs []plannedCovariate
	var nonZero [][]time.Time
	var zeros, ones []int
	for _, v := range plan {
		if len(covs) == 0 || covs[len(covs)-1].Name != v.Name {
			covs = append(covs, plannedCovariate{Name: v.Name, Min: v.Value, Max: v.Value})
			nonZero, zeros, ones = append(nonZero, nil), append(zeros, 0), append(ones, 0)
		}
		i := len(covs) - 1
		c := &covs[i]
		c.Planned++
		c.Min, c.Max = math.Min(c.Min, v.Value), math.Max(c.Max, v.Value)
		switch v.Value {
		case 0:
			zeros[i]++
			continue
		case 1:
			ones[i]++
		}
		c.NonZero = append(c.NonZero, v.Date.Format(layout))
		nonZero[i] = append(nonZero[i], v.Date)
	}
	var marks []dateMarks
	for i := range covs {
		c := &covs[i]
		c.Used = slices.Contains(used, c.Name)
		events := len(c.NonZero) > 0 && (zeros[i] > 0 || ones[i] == c.Planned)
		if events && len(marks) < len(markColours) {
			col := markColours[len(marks)]
			c.Swatch = template.CSS(fmt.Sprintf("background:rgba(%d,%d,%d,%.2f)", col.R, col.G, col.B, float64(col.A)/255))
			marks = append(marks, dateMarks{Label: c.Name + " planned", Dates: nonZero[i], Color: col})
		}
	}
	for _, name := range used {
		if !slices.ContainsFunc(covs, func(c plannedCovariate) bool { return c.Name == name }) {
			covs = append(covs, plannedCovariate{Name: name, Used: true})
		}
	}
	slices.SortFunc(covs, func(a, b plannedCovariate) int { return strings.Compare(a.Name, b.Name) })
	return covs, marks
}

// jobActive reports whether a job in state may still change: its page,
// and the overview listing it, refresh themselves.
func jobActive(state string) bool {
	return state == sqlstore.JobQueued || state == sqlstore.JobRunning
}

type jobPage struct {
	Title   string
	Refresh bool
	Job     *jobs.Job
	// Params is the job's request as it ran, indented JSON.
	Params string
	// Warnings are the summary's warnings with a link to each series.
	Warnings  []jobWarning
	ReportURL string // the memguard report, when the job has one
	APIURL    string
}

// jobWarning is a summary warning as the job page lists it.
type jobWarning struct {
	jobs.Warning
	URL template.URL // empty when the series name cannot be split unambiguously
}

func (s *dashboard) uiJob(c *gin.Context) {
	page, err := s.jobPage(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.uiFail(c, err)
		return
	}
	s.render(c, http.StatusOK, "job.html", page)
}

// jobPage reads job id and lays out its page.
func (s *dashboard) jobPage(ctx context.Context, id string) (jobPage, error) {
	row, err := s.store.GetJob(ctx, id)
	j, err := s.liveJob(ctx, row, err)
	if err != nil {
		return jobPage{}, err
	}
	params, err := json.MarshalIndent(j.Params, "", "  ")
	if err != nil {
		return jobPage{}, fmt.Errorf("api: job %s params: %w", j.ID, err)
	}
	page := jobPage{Title: "Job " + j.ID, Refresh: jobActive(j.State), Job: j, Params: string(params),
		APIURL: "/v1/jobs/" + url.PathEscape(j.ID)}
	if j.Memory != nil && j.Memory.ReportID != "" {
		page.ReportURL = "/v1/memguard/reports/" + url.PathEscape(j.Memory.ReportID)
	}
	if j.Summary != nil {
		page.Warnings = make([]jobWarning, len(j.Summary.Warnings))
		for i, w := range j.Summary.Warnings {
			page.Warnings[i] = jobWarning{Warning: w}
			// A warning names its series as data.Key.String, store/SKU;
			// with a slash in either part the split is a guess, so the
			// name is shown without a link.
			if st, sku, ok := strings.Cut(w.Series, "/"); ok && !strings.Contains(sku, "/") {
				page.Warnings[i].URL = seriesURL(st, sku)
			}
		}
	}
	return page, nil
}

// jobURL links to a job's page.
func jobURL(id string) template.URL {
	return template.URL("/ui/jobs/" + url.PathEscape(id))
}

// seriesURL links to a series page; store and SKU are escaped as path
// segments (the router unescapes them, slashes included).
func seriesURL(store, sku string) template.URL {
	return template.URL("/ui/series/" + url.PathEscape(store) + "/" + url.PathEscape(sku))
}

func clamp01(p float64) float64 {
	if !(p > 0) {
		return 0
	}
	return min(p, 1)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func fmtTimePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return fmtTime(*t)
}

// fmtNum prints a value for people: four significant digits below a
// thousand (metrics like MASE), and from a thousand up every integer
// digit, grouped, with one decimal (weekly sales of 1,643,690.9, not
// 1.644e+06). NaN (a metric that is undefined, like MAPE on all-zero
// actuals) prints as a dash.
func fmtNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	if math.Abs(v) < 1000 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return groupDigits(strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0"))
}

// fmtCount prints a count with thousands separators.
func fmtCount(n int) string {
	return groupDigits(strconv.Itoa(n))
}

// groupDigits puts a comma between each three digits of the integer part
// of a number as strconv writes it ('f' or an integer).
func groupDigits(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// fmtDuration prints seconds as people read a duration: 3.2s, 42s,
// 1m 23s, 2h 05m, 3d 4h.
func fmtDuration(sec float64) string {
	switch {
	case math.IsNaN(sec) || sec < 0:
		return "—"
	case sec < 10:
		return strconv.FormatFloat(sec, 'f', 1, 64) + "s"
	}
	n := int64(math.Round(sec))
	switch {
	case n < 60:
		return fmt.Sprintf("%ds", n)
	case n < 3600:
		return fmt.Sprintf("%dm %02ds", n/60, n%60)
	case n < 86400:
		return fmt.Sprintf("%dh %02dm", n/3600, n%3600/60)
	default:
		return fmt.Sprintf("%dd %dh", n/86400, n%86400/3600)
	}
}

// fmtSeconds prints a duration in seconds; the fastest candidates take
// microseconds, which are noise at this scale.
func fmtSeconds(v float64) string {
	if v < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func fmtBytes(n int64) string {
	neg := n < 0
	v := math.Abs(float64(n))
	unit := "B"
	for _, u := range []string{"KiB", "MiB", "GiB"} {
		if v < 1024 {
			break
		}
		v /= 1024
		unit = u
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if unit == "B" {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	if neg {
		s = "−" + s
	}
	return s + " " + unit
}
