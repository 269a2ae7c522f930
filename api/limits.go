package api

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
)

// Limits bound what a client controls at the HTTP edge: connections,
// how long a response may take to drain, the job queue, page sizes and
// the points one read may materialise. They are named here, in one
// place, with Options.MaxBodyBytes and Options.MaxInFlight; limitTable
// lists them all, with the parsers' (data/ingest), the store's
// (data/sqlstore) and the job summary's (jobs), for the README's
// "Limits" section and the problems that name them. Zero
// fields take the defaults noted.
type Limits struct {
	// MaxConns bounds open connections; a connection past it is closed
	// as soon as it is accepted. Default 1024.
	MaxConns int
	// MaxConnsPerHost bounds the open connections of one remote address,
	// so one client cannot take all of MaxConns. Default 256.
	MaxConnsPerHost int
	// ProbeWriteTimeout bounds the time to write a response of /healthz,
	// /readyz and /metrics: a client that asks and never reads holds its
	// request slot no longer than this. Default 10 s.
	ProbeWriteTimeout time.Duration
	// ReadWriteTimeout bounds writing the response of any other request
	// but transfers: JSON reads, dashboard pages. Default 60 s.
	ReadWriteTimeout time.Duration
	// TransferWriteTimeout bounds the response of uploads (whose body may
	// stream for long before the response) and streamed downloads (a
	// plan, a heap profile). It is also the server's WriteTimeout.
	// Default 10 min.
	TransferWriteTimeout time.Duration
	// BodyReadTimeout bounds the time to send the body of any request but
	// an upload (whose body may stream for as long as the server's 10
	// minute ReadTimeout): a client that trickles a job request holds a
	// request slot no longer than this. Default 30 s.
	BodyReadTimeout time.Duration
	// MaxScrapes bounds concurrent /metrics requests; past it /metrics
	// answers 503. Default 4 (a Prometheus server scrapes one at a time).
	MaxScrapes int
	// MaxActiveJobs bounds the jobs queued or running; past it POST
	// /v1/jobs answers 429 with Retry-After. Default 1000.
	MaxActiveJobs int
	// MaxReadPoints bounds the values (dates × (1 + covariates)) one GET
	// may load from the store; past it the read answers 422 before it
	// loads anything. Default 2,000,000 (16 MB of float64).
	MaxReadPoints int
	// ExplainTimeout bounds the computation of one explanation or
	// scenario (the kept models re-run from their states); past it the
	// request answers 503. Default 20 s.
	ExplainTimeout time.Duration
}

func (l *Limits) defaults() {
	orDefault(&l.MaxConns, 1024)
	orDefault(&l.MaxConnsPerHost, 256)
	orDefault(&l.ProbeWriteTimeout, 10*time.Second)
	orDefault(&l.ReadWriteTimeout, time.Minute)
	orDefault(&l.TransferWriteTimeout, 10*time.Minute)
	orDefault(&l.BodyReadTimeout, 30*time.Second)
	orDefault(&l.MaxScrapes, 4)
	orDefault(&l.MaxActiveJobs, 1000)
	orDefault(&l.MaxReadPoints, 2_000_000)
	orDefault(&l.ExplainTimeout, 20*time.Second)
}

// orDefault sets *p to def unless it is positive: a zero (or nonsensical
// negative) limit means the default.
func orDefault[T int | int64 | time.Duration](p *T, def T) {
	if *p <= 0 {
		*p = def
	}
}

// Fixed limits: not options, because nothing legitimate comes near them.
const (
	// maxJobBodyBytes bounds a job request body.
	maxJobBodyBytes = 1 << 20
	// defaultPage and maxPage are the page sizes of the list endpoints.
	defaultPage, maxPage = 100, 1000
	// maxPageBytes bounds the encoded items of one page of jobs: a job
	// echoes its request (up to maxJobBodyBytes), so a page of them could
	// otherwise run to a gigabyte. A page cut short has a next link.
	maxPageBytes = 4 << 20
	// maxHeaderBytes bounds the request line and headers.
	maxHeaderBytes = 64 << 10
	// readHeaderTimeout bounds the time to send the request headers.
	readHeaderTimeout = 10 * time.Second
	// maxScenarioBodyBytes and maxScenarioChanges bound a scenario
	// request: its body, and its rows (a horizon's dates with a few
	// covariates each fit many times over).
	maxScenarioBodyBytes = 1 << 20
	maxScenarioChanges   = 10_000
	// maxConcurrentExplains bounds the explanations and scenarios
	// computed at once: each re-runs every kept model a few times.
	maxConcurrentExplains = 2
	// queueFullRetry is the Retry-After of a 429 at MaxActiveJobs: about
	// the time a small job takes to leave the queue.
	queueFullRetry = 30 * time.Second
)

// Limit names in problem documents and the README.
const (
	limitBody         = "max_body_bytes"
	limitJobBody      = "max_job_body_bytes"
	limitInFlight     = "max_in_flight"
	limitConns        = "max_conns"
	limitConnsPerHost = "max_conns_per_host"
	limitProbeWrite   = "probe_write_timeout"
	limitReadWrite    = "read_write_timeout"
	limitTransfer     = "transfer_write_timeout"
	limitBodyRead     = "body_read_timeout"
	limitHeader       = "max_header_bytes"
	limitReadHeader   = "read_header_timeout"
	limitScrapes      = "max_scrapes"
	limitActiveJobs   = "max_active_jobs"
	limitPage         = "max_page_size"
	limitPageBytes    = "max_page_bytes"
	limitReadPoints   = "max_read_points"

	limitScenarioBody       = "max_scenario_body_bytes"
	limitScenarioChanges    = "max_scenario_changes"
	limitConcurrentExplains = "max_concurrent_explains"
	limitExplainTime        = "explain_timeout"
)

// limitRow is one limit as the README's table lists it: its name, its
// value as the table's second cell begins, and what a client gets past
// it, as the third cell reads.
type limitRow struct {
	Name, Value, Past string
}

// limitTable lists every limit a client meets, with the server's values:
// the HTTP edge's (Limits, Options), the parsers' (data/ingest), the
// store's (data/sqlstore) and the job summary's (jobs). Values are
// written from the constants, so TestLimitsDocumented fails when the
// README's table drifts from them.
func (s *Server) limitTable() []limitRow {
	return append(append(s.edgeLimits(), parserLimits()...), storeLimits()...)
}

// Past-the-limit outcomes shared by several rows.
const (
	pastClosed      = "connection closed"
	pastOnAccept    = "connection closed as soon as accepted"
	pastRowsProblem = "400 problem naming the rows"
)

// edgeLimits are the limits of the HTTP server: Limits and Options.
func (s *Server) edgeLimits() []limitRow {
	l := s.opts.Limits
	return []limitRow{
		{limitBody, sizeText(s.opts.MaxBodyBytes), "413 problem"},
		{limitJobBody, sizeText(maxJobBodyBytes), "413 problem"},
		{limitHeader, sizeText(maxHeaderBytes), "431"},
		{limitReadHeader, durationText(readHeaderTimeout), pastClosed},
		{limitInFlight, fmtCount(s.opts.MaxInFlight), "503 problem with `Retry-After: 1`"},
		{limitConns, fmtCount(l.MaxConns), pastOnAccept},
		{limitConnsPerHost, fmtCount(l.MaxConnsPerHost), pastOnAccept},
		{limitProbeWrite, durationText(l.ProbeWriteTimeout), pastClosed},
		{limitReadWrite, durationText(l.ReadWriteTimeout), pastClosed},
		{limitTransfer, durationText(l.TransferWriteTimeout), pastClosed},
		{limitBodyRead, durationText(l.BodyReadTimeout), "408 problem"},
		{limitScrapes, fmtCount(l.MaxScrapes), "503"},
		{limitActiveJobs, fmtCount(l.MaxActiveJobs),
			"429 problem with `Retry-After: " + strconv.Itoa(int(queueFullRetry/time.Second)) + "`; nothing recorded"},
		{limitPage, fmtCount(maxPage), "400 problem"},
		{limitPageBytes, sizeText(maxPageBytes), "a shorter page, with `next`"},
		{limitReadPoints, fmtCount(l.MaxReadPoints), "422 page, or problem when `Accept` names JSON"},
		{limitScenarioBody, sizeText(maxScenarioBodyBytes), "413 problem"},
		{limitScenarioChanges, fmtCount(maxScenarioChanges), "400 problem"},
		{limitConcurrentExplains, fmtCount(maxConcurrentExplains), "503 problem with `Retry-After: 1`"},
		{limitExplainTime, durationText(l.ExplainTimeout), "503 problem"},
	}
}

// parserLimits are the limits of a file's content (data/ingest).
func parserLimits() []limitRow {
	return []limitRow{
		{"max_line_bytes", sizeText(ingest.MaxLineBytes), "400 problem naming the line"},
		{"max_columns", fmtCount(ingest.MaxColumns), "400 problem naming the line"},
		{"max_covariates", fmtCount(ingest.MaxCovariates), "400 problem"},
		{"max_magnitude", strings.Replace(strconv.FormatFloat(ingest.MaxMagnitude, 'g', -1, 64), "e+", "e", 1),
			pastRowsProblem},
		{"max_id_bytes", sizeText(ingest.MaxIDBytes), pastRowsProblem},
		{"max_date_format_bytes", sizeText(ingest.MaxDateFormatBytes), "400 problem"},
		{"max_row_errors", fmtCount(ingest.MaxRowErrors), "parsing stops; the 400 problem lists these"},
	}
}

// storeLimits are the limits of a stored series and of uploads in
// flight (data/sqlstore), and of a job's summary (jobs).
func storeLimits() []limitRow {
	day := func(ts int64) string { return time.Unix(ts, 0).UTC().Format(time.DateOnly) }
	return []limitRow{
		{"min_date", day(sqlstore.MinDateUnix), pastRowsProblem},
		{"max_date", day(sqlstore.MaxDateUnix), pastRowsProblem},
		{"max_series_years", fmt.Sprintf("%d years (%s daily, %s weekly, %s monthly points)", sqlstore.MaxSeriesYears,
			fmtCount(sqlstore.MaxSeriesPoints(data.Daily)), fmtCount(sqlstore.MaxSeriesPoints(data.Weekly)),
			fmtCount(sqlstore.MaxSeriesPoints(data.Monthly))), pastRowsProblem},
		{"max_hourly_series_years", fmt.Sprintf("%d years (%s hourly points)", sqlstore.MaxHourlySeriesYears,
			fmtCount(sqlstore.MaxSeriesPoints(data.Hourly))), pastRowsProblem},
		{"max_series_covariates", fmtCount(sqlstore.MaxSeriesCovariates), pastRowsProblem},
		{"max_concurrent_uploads", fmtCount(sqlstore.MaxConcurrentUploads), "waits its turn, up to `upload_wait`"},
		{"upload_wait", durationText(sqlstore.UploadWait), "503 problem with `Retry-After: 1`"},
		{"max_warnings", fmtCount(jobs.MaxWarnings), "`warnings_omitted` counts the rest"},
	}
}

// sizeText writes n bytes as the README does: in the largest binary
// unit that divides it.
func sizeText[T int | int64](n T) string {
	for _, u := range []struct {
		size T
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(int64(n/u.size), 10) + " " + u.name
		}
	}
	return strconv.FormatInt(int64(n), 10) + " bytes"
}

// durationText writes d in whole minutes, or else seconds.
func durationText(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// withinPageBytes encodes the first items whose JSON encodings add up
// to no more than budget bytes (at least one item, so paging always
// moves on). The page is written from these encodings, so each item is
// encoded once; fewer encodings than items means the page was cut short.
func withinPageBytes[T any](items []T, budget int) ([]json.RawMessage, error) {
	enc := make([]json.RawMessage, 0, len(items))
	total := 0
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		if total += len(b) + 1; total > budget && i > 0 {
			break
		}
		enc = append(enc, b)
	}
	return enc, nil
}

// LimitInfo names the limit a problem is about, and its value.
type LimitInfo struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// problemLimit answers status with a problem naming limit and its value.
func problemLimit(c *gin.Context, status int, name string, value any, detail string) {
	writeProblem(c, Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Limit: &LimitInfo{Name: name, Value: fmt.Sprint(value)}})
}

// writeTimeout is the write deadline of a route: short for the probes and
// metrics, long for transfers, the default for the rest.
func (l Limits) writeTimeout(route string) time.Duration {
	switch route {
	case "/healthz", "/readyz", "/metrics":
		return l.ProbeWriteTimeout
	case "/v1/sales", "/v1/covariates", "/v1/series/:store/:sku/covariates", "/v1/memguard/reports/:id/heap.pb.gz":
		return l.TransferWriteTimeout
	}
	return l.ReadWriteTimeout
}

// bodyReadTimeoutKey holds a request's body read timeout in its gin
// context, for the problem that names it.
const bodyReadTimeoutKey = "forecastd.body_read_timeout"

// upload reports the routes whose request body may stream for long.
func upload(route string) bool { return route == "/v1/sales" || route == "/v1/covariates" }

// deadlines sets the write deadline of each request by its route, in
// place of the server's single WriteTimeout, so a client that asks for
// /metrics and never reads frees its goroutine and request slot in
// seconds, while an upload keeps the time it needs; and the read
// deadline of every body but an upload's to BodyReadTimeout, so one that
// trickles a small body does not hold a slot for the server's
// ReadTimeout.
func (s *Server) deadlines() gin.HandlerFunc {
	return func(c *gin.Context) {
		now, route := time.Now(), c.FullPath()
		rc := http.NewResponseController(c.Writer)
		// An error means the writer cannot take a deadline (a test's
		// recorder); the server's timeouts still bound the request.
		_ = rc.SetWriteDeadline(now.Add(s.opts.Limits.writeTimeout(route)))
		if !upload(route) {
			_ = rc.SetReadDeadline(now.Add(s.opts.Limits.BodyReadTimeout))
			c.Set(bodyReadTimeoutKey, s.opts.Limits.BodyReadTimeout) // for fail's 408
		}
		c.Next()
	}
}

// connLimiter bounds open connections, in all and per remote host. It is
// the http.Server's ConnState hook: a connection past a bound is closed
// when it is new, before a goroutine reads from it.
type connLimiter struct {
	max, perHost int

	mu     sync.Mutex
	open   int
	byHost map[string]int
	seen   map[net.Conn]string // counted connections, by host
}

func newConnLimiter(max, perHost int) *connLimiter {
	return &connLimiter{max: max, perHost: perHost, byHost: map[string]int{}, seen: map[net.Conn]string{}}
}

// ConnState counts a connection from StateNew until it is closed or
// hijacked, and closes a new one past a bound. A closed connection still
// passes through StateClosed, which uncounts it.
func (l *connLimiter) ConnState(conn net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
		if err != nil {
			host = conn.RemoteAddr().String()
		}
		l.mu.Lock()
		l.open++
		l.byHost[host]++
		l.seen[conn] = host
		over := l.open > l.max || l.byHost[host] > l.perHost
		l.mu.Unlock()
		if over {
			_ = conn.Close() // the client sees the connection reset; nothing to report
		}
	case http.StateClosed, http.StateHijacked:
		l.mu.Lock()
		if host, ok := l.seen[conn]; ok {
			delete(l.seen, conn)
			l.open--
			if l.byHost[host]--; l.byHost[host] == 0 {
				delete(l.byHost, host)
			}
		}
		l.mu.Unlock()
	}
}

// Open reports the connections counted now, in all and from host.
func (l *connLimiter) Open(host string) (all, fromHost int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.byHost[host]
}
