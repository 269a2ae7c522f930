// Command load is a bounded HTTP load generator for forecastd's read path:
// it sends GET /v1/forecasts/{store}/{sku} over every series the server
// lists, from a fixed number of concurrent clients, until a fixed number of
// requests or a duration is reached, and reports throughput, latency
// quantiles and errors. With -trivial it serves a one-line gin handler
// itself and loads that instead, to show what the loopback, the client and
// the HTTP stack alone cost on the same machine.
//
//	go run ./bench/load -url http://127.0.0.1:8080 -n 20000 -c 8
//	go run ./bench/load -trivial -n 20000 -c 8
//
// bench/load/run.sh starts forecastd with its demo data and runs both while
// a training job runs; README.md has the figures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/forecastd/forecastd/internal/environ"
	"github.com/gin-gonic/gin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "forecastd base URL")
	n := fs.Int("n", 20000, "requests to send in all (0: only -d bounds the run)")
	d := fs.Duration("d", 0, "longest run (0: only -n bounds the run)")
	c := fs.Int("c", 8, "concurrent clients")
	token := fs.String("token", environ.Get("FORECASTD_TOKEN"), "bearer token, if the server requires one (FORECASTD_TOKEN)")
	job := fs.String("job", "", "a job ID whose state is reported before and after the run (to show it ran during the load)")
	trivial := fs.Bool("trivial", false, "serve c.JSON(200, gin.H{\"ok\": true}) on a loopback port and load that instead")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := Config{Requests: *n, Duration: *d, Concurrency: *c, Token: *token}
	client := newClient(*c)
	defer client.CloseIdleConnections()

	if *trivial {
		srv, err := serveTrivial()
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Close(); err != nil {
				fmt.Fprintf(stdout, "trivial server: %v\n", err)
			}
		}()
		cfg.Base, cfg.Paths = "http://"+srv.addr, []string{"/ok"}
		fmt.Fprintf(stdout, "target    trivial gin handler at %s\n", cfg.Base)
	} else {
		cfg.Base = *base
		paths, err := ForecastPaths(ctx, client, cfg.Base, cfg.Token)
		if err != nil {
			return err
		}
		cfg.Paths = paths
		fmt.Fprintf(stdout, "target    %s/v1/forecasts/{store}/{sku} over %d series\n", cfg.Base, len(paths))
	}
	if *job != "" {
		st, err := jobState(ctx, client, cfg.Base, cfg.Token, *job)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "job       %s %s before the run\n", *job, st)
	}
	res, err := Run(ctx, client, cfg)
	if err != nil {
		return err
	}
	res.Print(stdout, cfg)
	if *job != "" {
		st, err := jobState(ctx, client, cfg.Base, cfg.Token, *job)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "job       %s %s after the run\n", *job, st)
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d of %d requests failed (first: %s)", res.Errors, res.Requests, res.FirstError)
	}
	return nil
}

// Config bounds a run. At least one of Requests and Duration must be set.
type Config struct {
	// Base is the server's URL (scheme, host and port).
	Base string
	// Paths are requested in turn (request i gets Paths[i % len]).
	Paths []string
	// Requests is the number of requests to send; 0 means no limit.
	Requests int
	// Duration bounds the run's wall time; 0 means no limit.
	Duration time.Duration
	// Concurrency is the number of clients, each with one request in
	// flight; default 8.
	Concurrency int
	// Token, if set, is sent as a bearer token.
	Token string
}

// Result is what a run measured.
type Result struct {
	// Requests were sent (completed or failed).
	Requests int
	// Errors counts transport errors and responses other than 200.
	Errors int
	// Status counts responses by status code.
	Status map[int]int
	// FirstError describes the first failure.
	FirstError string
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
	// Latencies of the requests, sorted.
	Latencies []time.Duration
}

// Throughput is requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Quantile returns the q-quantile of the latencies (nearest rank).
func (r *Result) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.Latencies))+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// Print writes the report.
func (r *Result) Print(w io.Writer, cfg Config) {
	fmt.Fprintf(w, "requests  %d at concurrency %d in %.2f s\n", r.Requests, cfg.Concurrency, r.Elapsed.Seconds())
	fmt.Fprintf(w, "rate      %.0f req/s\n", r.Throughput())
	fmt.Fprintf(w, "latency   p50 %s  p90 %s  p99 %s  max %s\n", ms(r.Quantile(0.5)), ms(r.Quantile(0.9)), ms(r.Quantile(0.99)), ms(r.Quantile(1)))
	fmt.Fprintf(w, "errors    %d", r.Errors)
	if r.Errors > 0 {
		fmt.Fprintf(w, " (status %v; first: %s)", r.Status, r.FirstError)
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// newClient is an HTTP client that keeps one idle connection per
// concurrent client, so the run measures requests, not TCP handshakes.
func newClient(conc int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(conc, 1) * 2
	tr.MaxIdleConnsPerHost = max(conc, 1) * 2
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Run sends the requests cfg describes and returns what it measured. It
// stops when the requests are sent, the duration is up or ctx ends, and
// returns only when every client has.
func Run(ctx context.Context, client *http.Client, cfg Config) (*Result, error) {
	if cfg.Requests <= 0 && cfg.Duration <= 0 {
		return nil, errors.New("load: set a number of requests or a duration, or the run never stops")
	}
	if len(cfg.Paths) == 0 {
		return nil, errors.New("load: no paths to request")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	type worker struct {
		lat    []time.Duration
		status map[int]int
		errs   int
		first  string
	}
	ws := make([]worker, cfg.Concurrency)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range ws {
		ws[w].status = map[int]int{}
		if cfg.Requests > 0 {
			ws[w].lat = make([]time.Duration, 0, cfg.Requests/cfg.Concurrency+1)
		}
		wg.Go(func() {
			me := &ws[w]
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if cfg.Requests > 0 && i >= int64(cfg.Requests) {
					return
				}
				t0 := time.Now()
				code, err := get(ctx, client, cfg.Base+cfg.Paths[i%int64(len(cfg.Paths))], cfg.Token)
				if err != nil && ctx.Err() != nil {
					return // the run ended mid-request: not the server's failure
				}
				me.lat = append(me.lat, time.Since(t0))
				if err == nil {
					me.status[code]++
				}
				if err != nil || code != http.StatusOK {
					me.errs++
					if me.first == "" {
						me.first = fmt.Sprintf("%s: status %d, %v", cfg.Paths[i%int64(len(cfg.Paths))], code, err)
					}
				}
			}
		})
	}
	wg.Wait()
	res := &Result{Elapsed: time.Since(start), Status: map[int]int{}}
	for _, w := range ws {
		res.Latencies = append(res.Latencies, w.lat...)
		res.Errors += w.errs
		if res.FirstError == "" {
			res.FirstError = w.first
		}
		for k, v := range w.status {
			res.Status[k] += v
		}
	}
	res.Requests = len(res.Latencies)
	slices.Sort(res.Latencies)
	return res, nil
}

// get requests u and reads the whole body, as a client would.
func get(ctx context.Context, client *http.Client, u, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	// The body is read to the end below; closing a drained body cannot fail
	// in a way that changes the measurement.
	defer func() { _ = resp.Body.Close() }()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// ForecastPaths lists every series through GET /v1/series (following its
// pages) and returns the forecast path of each.
func ForecastPaths(ctx context.Context, client *http.Client, base, token string) ([]string, error) {
	var paths []string
	next := "/v1/series?limit=1000"
	for next != "" {
		var page struct {
			Items []struct{ Store, SKU string }
			Next  *string
		}
		if err := getJSON(ctx, client, base+next, token, &page); err != nil {
			return nil, fmt.Errorf("load: list series: %w", err)
		}
		for _, it := range page.Items {
			paths = append(paths, "/v1/forecasts/"+url.PathEscape(it.Store)+"/"+url.PathEscape(it.SKU))
		}
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
	}
	if len(paths) == 0 {
		return nil, errors.New("load: the server has no series: upload sales (or start it with -demo) first")
	}
	return paths, nil
}

func jobState(ctx context.Context, client *http.Client, base, token, id string) (string, error) {
	var js struct {
		State      string `json:"state"`
		SeriesDone int    `json:"series_done"`
		Total      int    `json:"series_total"`
	}
	if err := getJSON(ctx, client, base+"/v1/jobs/"+url.PathEscape(id), token, &js); err != nil {
		return "", fmt.Errorf("load: job %s: %w", id, err)
	}
	return fmt.Sprintf("%s (%d/%d series)", js.State, js.SeriesDone, js.Total), nil
}

func getJSON(ctx context.Context, client *http.Client, u, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	// The body is read to the end below; closing a drained body cannot fail
	// in a way that changes the measurement.
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// trivialServer serves the trivial handler on a loopback port.
type trivialServer struct {
	srv    *http.Server
	addr   string
	served chan struct{}
}

// serveTrivial starts the trivial server; Close stops it.
func serveTrivial() (*trivialServer, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/ok", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"ok": true}) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("load: trivial server: %w", err)
	}
	s := &trivialServer{srv: &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second},
		addr: ln.Addr().String(), served: make(chan struct{})}
	go func() {
		defer close(s.served)
		// Serve returns http.ErrServerClosed once Close is called; any
		// other error ends the run with requests failing, which it reports.
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and waits for it to stop serving.
func (s *trivialServer) Close() error {
	err := s.srv.Close()
	<-s.served
	return err
}
