package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/forecast"
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
	"bytes":     fmtBytes,
	"num":       fmtNum,
	"seconds":   fmtSeconds,
	"seriesURL": seriesURL,
}).ParseFS(uiFS, "templates/*.html"))

// Dashboard limits: enough to be useful, bounded so a page stays fast.
const (
	uiJobs          = 50  // jobs listed and marked on the memory chart
	uiReportBars    = 30  // bars in the retained-bytes chart
	uiReportDetails = 5   // leak reports shown with their sites
	uiSeriesPage    = 100 // series per page
	uiHistoryTimes  = 3   // history shown, in horizons
)

// routesUI adds the web dashboard and the OpenAPI document.
func (s *Server) routesUI(r *gin.Engine) {
	r.GET("/openapi.json", s.openAPI)
	r.GET("/ui", s.uiOverview)
	r.GET("/ui/series", s.uiSeriesList)
	r.GET("/ui/series/:store/:sku", s.uiSeries)
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
	case errors.Is(err, data.ErrNotFound):
		s.uiError(c, http.StatusNotFound, err.Error())
	case c.Request.Context().Err() != nil:
		s.uiError(c, http.StatusServiceUnavailable, "The request was cancelled.")
	default:
		s.log.Error("dashboard", "path", c.Request.URL.Path, "err", err, "request_id", c.GetHeader(requestIDHeader))
		s.uiError(c, http.StatusInternalServerError, "Internal error: "+err.Error())
	}
}

type overviewPage struct {
	Title          string
	Interval       time.Duration
	MemChart       template.HTML
	GoroutineChart template.HTML
	RetainedChart  template.HTML
	Jobs           []*data.Job
	Reports        []*memguard.Report // charted, oldest first
	LatestReports  []*memguard.Report // detailed, latest first
	Quarantined    []memguard.QuarantineEntry
}

func (s *Server) uiOverview(c *gin.Context) {
	ctx := c.Request.Context()
	jobs, err := s.store.ListJobs(ctx, "", "", uiJobs)
	if err != nil {
		s.uiFail(c, err)
		return
	}
	page := overviewPage{Title: "Overview", Interval: s.opts.Ops.MonitorInterval, Jobs: jobs}

	if samples := s.ops().monitor.Samples(); len(samples) >= 2 {
		spans := make([]jobSpan, 0, len(jobs))
		for _, j := range jobs {
			if j.StartedAt == nil {
				continue
			}
			sp := jobSpan{Start: *j.StartedAt, Failed: j.State == data.JobFailed}
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
	charted := reps[:min(len(reps), uiReportBars)]
	if len(charted) > 0 {
		jobOf := reportJobs(jobs)
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

	q := s.guard.Quarantined()
	for _, e := range q {
		page.Quarantined = append(page.Quarantined, e)
	}
	sortQuarantine(page.Quarantined)
	s.render(c, http.StatusOK, "overview.html", page)
}

// reportJobs maps memguard report IDs to the jobs whose memory summary
// names them.
func reportJobs(jobs []*data.Job) map[string]string {
	out := make(map[string]string, len(jobs))
	for _, j := range jobs {
		if len(j.Memory) == 0 {
			continue
		}
		var m struct {
			ReportID string `json:"report_id"`
		}
		if json.Unmarshal(j.Memory, &m) == nil && m.ReportID != "" {
			out[m.ReportID] = j.ID
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

func sortQuarantine(es []memguard.QuarantineEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Name < es[j-1].Name; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

type seriesListPage struct {
	Title string
	Items []data.SeriesInfo
	Next  string
	First bool
}

func (s *Server) uiSeriesList(c *gin.Context) {
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
	Store, SKU  string
	HasForecast bool
	Result      *forecast.Result
	JobID       string
	GeneratedAt time.Time
	HistoryLen  int
	Shown       int
	Chart       template.HTML
	APIURL      string
}

func (s *Server) uiSeries(c *gin.Context) {
	ctx := c.Request.Context()
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	page := seriesPage{Title: k.Store + " / " + k.SKU, Store: k.Store, SKU: k.SKU,
		APIURL: "/v1/forecasts/" + url.PathEscape(k.Store) + "/" + url.PathEscape(k.SKU)}

	r, err := s.store.GetResult(ctx, k)
	switch {
	case errors.Is(err, data.ErrNotFound):
	case err != nil:
		s.uiFail(c, err)
		return
	default:
		var res forecast.Result
		if err := json.Unmarshal(r.Body, &res); err != nil {
			s.uiFail(c, fmt.Errorf("stored result of %s: %w", k, err))
			return
		}
		// Result writes an undefined coverage as null, which decodes as
		// 0; keep it undefined so the page shows a dash, not 0%.
		var cov struct{ C80, C95 *float64 }
		if json.Unmarshal(r.Body, &struct {
			C80 **float64 `json:"coverage_80"`
			C95 **float64 `json:"coverage_95"`
		}{&cov.C80, &cov.C95}) == nil {
			if cov.C80 == nil {
				res.Coverage80 = math.NaN()
			}
			if cov.C95 == nil {
				res.Coverage95 = math.NaN()
			}
		}
		page.HasForecast, page.Result, page.JobID, page.GeneratedAt = true, &res, r.JobID, r.GeneratedAt
	}

	ss, err := s.store.LoadSeries(ctx, data.SeriesFilter{Stores: []string{k.Store}, SKUs: []string{k.SKU}})
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
	if page.Chart, err = forecastChart(series, page.Result, show); err != nil {
		s.uiFail(c, err)
		return
	}
	s.render(c, http.StatusOK, "series.html", page)
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

// fmtNum prints a metric with four significant digits; NaN (a metric
// that is undefined, like MAPE on all-zero actuals) prints as a dash.
func fmtNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
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
