package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/demo"
	"github.com/forecastd/forecastd/data/sqlstore"
)

// TestCrashDuringJob kills the real binary with SIGKILL while a training
// job runs and checks what a crash may not break:
//
//   - the job is retried by the next process on the same data dir and
//     succeeds;
//   - the sales are intact: row count, sum of quantities and a SHA-256 of
//     every row read back through the store equal what was uploaded;
//   - the forecasts served are at every moment one complete set, the
//     previous job's or the new job's, never a mix: every series is polled
//     before the kill, after the restart and until the job succeeds.
//
// It also checks the database as the crash left it (the killed job still
// "running", some of its results staged, none published), so the test
// fails if the kill came too late to test anything.
func TestCrashDuringJob(t *testing.T) {
	bin := buildForecastd(t)
	dir := t.TempDir()
	ctx := context.Background()

	// 2 stores × 24 SKUs × a year: job 2 (with Holt-Winters, AutoETS and
	// four folds) lasts several seconds, long enough to be caught running
	// with results staged (a streamed job stages at least every 500 ms).
	first := demo.Sales(demo.Options{Stores: 2, SKUs: 24, Days: 365})
	keys := seriesKeys(first)
	// The changed sales: every quantity doubled plus one, so that every
	// series' forecast changes, slow movers included.
	changed := make([]data.Observation, len(first))
	for i, o := range first {
		o.Quantity = 2*o.Quantity + 1
		changed[i] = o
	}

	p := startForecastd(t, bin, dir)
	c := &servedChecker{keys: keys, bodies: map[string]string{}, generated: map[string]string{}}
	if code, b, err := p.call("POST", "/v1/sales", "text/csv", observationsCSV(t, first)); err != nil || code != 200 {
		t.Fatalf("upload: %d %s %v", code, b, err)
	}
	job1 := p.postJob(`{"horizon": 14, "models": ["naive", "seasonal_naive", "ses", "ridge"], "top_k": 2, "backtest_windows": 2}`)
	p.waitState(job1, 60*time.Second, func(js jobStatus) bool { return js.State == "succeeded" })
	c.old = job1
	if !c.sweep(t, p) {
		t.Fatal("could not read the first forecasts")
	}

	// New sales, then a longer job over them.
	if code, b, err := p.call("POST", "/v1/sales", "text/csv", observationsCSV(t, changed)); err != nil || code != 200 {
		t.Fatalf("upload of changed sales: %d %s %v", code, b, err)
	}
	job2 := p.postJob(`{"horizon": 28, "models": ["naive", "seasonal_naive", "ses", "ridge", "holt_winters_add", "auto_ets"], "top_k": 3, "backtest_windows": 4}`)
	c.new = job2
	// Poll the forecasts until the job has staged at least one series
	// (series_done counts series already staged), then kill.
	deadline := time.Now().Add(30 * time.Second)
	for {
		js := p.jobStatus(job2)
		if js.State == "running" && js.SeriesDone >= 1 {
			t.Logf("killing forecastd (pid %d) with job 2 at %d/%d series", p.cmd.Process.Pid, js.SeriesDone, js.SeriesTotal)
			break
		}
		if js.State != "queued" && js.State != "running" {
			t.Fatalf("job 2 %s before it could be killed (make it longer): %+v", js.State, js)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job 2 not running after 30 s: %+v", js)
		}
		c.sweep(t, p)
	}
	p.kill(t)

	// The database as the crash left it.
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "forecastd.db"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := store.GetJob(ctx, job2)
	if err != nil {
		t.Fatal(err)
	}
	var staged int
	if err := store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM staged_results WHERE job_id = $1`, job2).Scan(&staged); err != nil {
		t.Fatal(err)
	}
	published := map[string]int{}
	if err := store.ListResults(ctx, func(r *sqlstore.Result) error { published[r.JobID]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("after SIGKILL: job 2 %s, %d series staged, published %v", j.State, staged, published)
	if j.State != "running" || staged == 0 || published[job1] != len(keys) || len(published) != 1 {
		t.Fatalf("the kill did not interrupt job 2 between staging and publishing: state %s, %d staged, published %v", j.State, staged, published)
	}

	// Restart on the same data dir: the job is re-queued and succeeds.
	p = startForecastd(t, bin, dir)
	restarted := time.Now()
	deadline = time.Now().Add(60 * time.Second)
	for {
		c.sweep(t, p)
		js := p.jobStatus(job2)
		if js.State == "succeeded" {
			t.Logf("job 2 succeeded %v after the restart: %d/%d series", time.Since(restarted).Round(time.Millisecond), js.SeriesDone, js.SeriesTotal)
			if js.SeriesDone != len(keys) {
				t.Errorf("job 2 series_done %d, want %d", js.SeriesDone, len(keys))
			}
			break
		}
		if js.State != "queued" && js.State != "running" {
			t.Fatalf("job 2 after restart: %+v", js)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job 2 not retried to success within 60 s: %+v", js)
		}
	}
	for i := 0; i < 3; i++ {
		if !c.sweep(t, p) || !c.allNew {
			t.Errorf("sweep %d after job 2 succeeded does not serve job 2 everywhere", i)
		}
	}
	// The new set was computed from the new sales.
	for _, k := range keys {
		if c.bodies[k.String()+"|"+job1] == c.bodies[k.String()+"|"+job2] {
			t.Errorf("%s: job 2 served the same forecast as job 1", k)
		}
	}
	t.Logf("forecast sweeps over %d series: %d all job 1, %d all job 2, %d straddling the publish", len(keys), c.oldSweeps, c.newSweeps, c.straddles)
	if c.oldSweeps == 0 || c.newSweeps == 0 {
		t.Errorf("sweeps saw old %d, new %d times: both sets must be observed", c.oldSweeps, c.newSweeps)
	}

	// Sales through the API (row counts per series), then every row
	// through the store once the process has stopped.
	var series struct{ Items []sqlstore.SeriesInfo }
	if code, b, err := p.call("GET", "/v1/series?limit=1000", "", nil); err != nil || code != 200 || json.Unmarshal(b, &series) != nil {
		t.Fatalf("list series: %d %s %v", code, b, err)
	}
	rows := 0
	for _, s := range series.Items {
		rows += s.Rows
	}
	if len(series.Items) != len(keys) || rows != len(changed) {
		t.Errorf("API lists %d series, %d rows; want %d, %d", len(series.Items), rows, len(keys), len(changed))
	}
	p.stop(t)
	store, err = sqlstore.OpenSQLite(ctx, filepath.Join(dir, "forecastd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer checkClose(t, store.Close)
	var got salesDigest
	if err := store.LoadObservations(ctx, sqlstore.SeriesFilter{}, func(o data.Observation) error { got.add(o); return nil }); err != nil {
		t.Fatal(err)
	}
	var want salesDigest
	for _, o := range changed {
		want.add(o)
	}
	t.Logf("sales after the crash: %s; uploaded: %s", got.String(), want.String())
	if got.String() != want.String() {
		t.Errorf("sales changed by the crash: stored %s, uploaded %s", got.String(), want.String())
	}
}

// servedChecker polls the forecast of every series ("a sweep") and checks
// that the served set is one job's. A sweep is a sequence of GETs, not an
// atomic read, so the one sweep during which the new set is published may
// legitimately see old forecasts for the series it read first and new ones
// for the rest. The checker allows exactly that, once: old…old new…new in
// request order, and the next sweep must then be all new. Any other mix,
// an old forecast after a new one, or a forecast of a series changing
// within one job, is an error.
type servedChecker struct {
	keys     []data.Key
	old, new string // job IDs: the published set and the one coming
	// bodies maps series|job to a hash of the served points: a job's
	// forecast of a series must not change.
	bodies map[string]string
	// generated maps job to its generated_at: one publish, one time.
	generated map[string]string

	allNew, seenNew                 bool
	oldSweeps, newSweeps, straddles int
}

// sweep reads every series' forecast and checks the set. It returns false
// when the process could not be reached (the sweep is then ignored).
func (c *servedChecker) sweep(t *testing.T, p *forecastdProc) bool {
	t.Helper()
	ids := make([]string, len(c.keys))
	for i, k := range c.keys {
		code, b, err := p.call("GET", "/v1/forecasts/"+k.Store+"/"+k.SKU, "", nil)
		if err != nil {
			return false
		}
		var fc struct {
			JobID       string          `json:"job_id"`
			GeneratedAt string          `json:"generated_at"`
			Points      json.RawMessage `json:"points"`
		}
		if code != 200 || json.Unmarshal(b, &fc) != nil {
			t.Fatalf("GET forecast of %s: %d %s", k, code, b)
		}
		if fc.JobID != c.old && (c.new == "" || fc.JobID != c.new) {
			t.Fatalf("%s served by job %q, neither %q nor %q", k, fc.JobID, c.old, c.new)
		}
		h := sha256.Sum256(fc.Points)
		key := k.String() + "|" + fc.JobID
		if prev, ok := c.bodies[key]; ok && prev != string(h[:]) {
			t.Errorf("%s: job %s's forecast changed between polls", k, fc.JobID)
		}
		c.bodies[key] = string(h[:])
		if g, ok := c.generated[fc.JobID]; ok && g != fc.GeneratedAt {
			t.Errorf("%s: job %s generated at %s, other series at %s: not one publish", k, fc.JobID, fc.GeneratedAt, g)
		}
		c.generated[fc.JobID] = fc.GeneratedAt
		ids[i] = fc.JobID
	}
	nOld := 0
	for _, id := range ids {
		if id == c.old {
			nOld++
		}
	}
	c.allNew = nOld == 0
	switch {
	case nOld == len(ids):
		if c.seenNew {
			t.Errorf("old forecasts served again after the new set: %v", ids)
		}
		c.oldSweeps++
	case nOld == 0:
		c.newSweeps++
	default:
		// Old then new, in request order, and only once.
		monotone := true
		for i := 1; i < len(ids); i++ {
			if ids[i-1] == c.new && ids[i] == c.old {
				monotone = false
			}
		}
		if !monotone || c.seenNew {
			t.Errorf("mixed forecast set: %s", describeIDs(c.keys, ids))
		}
		c.straddles++
	}
	if nOld < len(ids) {
		c.seenNew = true
	}
	return true
}

func describeIDs(keys []data.Key, ids []string) string {
	var b strings.Builder
	for i, k := range keys {
		fmt.Fprintf(&b, "%s=%s ", k, ids[i])
	}
	return b.String()
}

// salesDigest summarises sales rows: count, sum of quantities and a
// SHA-256 over every row in (store, sku, date) order, the order both
// data.Demo and the store produce.
type salesDigest struct {
	rows int
	sum  float64
	h    hash.Hash
}

func (d *salesDigest) add(o data.Observation) {
	if d.h == nil {
		d.h = sha256.New()
	}
	d.rows++
	d.sum += o.Quantity
	d.h.Write(fmt.Appendf(nil, "%s\t%s\t%s\t%s\t%s\n", o.Key.Store, o.Key.SKU, o.Date.Format("2006-01-02"),
		strconv.FormatFloat(o.Quantity, 'g', -1, 64), strconv.FormatFloat(o.Covariates["promo"], 'g', -1, 64)))
}

func (d *salesDigest) String() string {
	if d.h == nil {
		d.h = sha256.New()
	}
	return fmt.Sprintf("%d rows, quantity sum %.0f, sha256 %s", d.rows, d.sum, hex.EncodeToString(d.h.Sum(nil)[:8]))
}

func seriesKeys(obs []data.Observation) []data.Key {
	var keys []data.Key
	for _, o := range obs {
		if len(keys) == 0 || keys[len(keys)-1] != o.Key {
			keys = append(keys, o.Key)
		}
	}
	return keys
}

func observationsCSV(t *testing.T, obs []data.Observation) []byte {
	t.Helper()
	records := [][]string{{"date", "store", "sku", "quantity", "promo"}}
	for _, o := range obs {
		records = append(records, []string{o.Date.Format("2006-01-02"), o.Key.Store, o.Key.SKU,
			strconv.FormatFloat(o.Quantity, 'f', -1, 64), strconv.FormatFloat(o.Covariates["promo"], 'f', -1, 64)})
	}
	return writeCSV(t, records)
}

// buildForecastd builds the forecastd binary from the module root (the
// parent of this package's directory) into a temporary directory.
func buildForecastd(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the crash test builds the binary and needs the go command: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "forecastd")
	cmd := exec.Command(gobin, "build", "-o", bin, "./cmd/forecastd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/forecastd: %v\n%s", err, out)
	}
	return bin
}

// forecastdProc is a forecastd serve subprocess.
type forecastdProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	client *http.Client
	logs   string // stderr file
	exited bool
}

// startForecastd starts `forecastd serve` on an ephemeral loopback port
// over dir and waits until it serves; the address is read from its
// "serving on" line, so there is no race for a free port. The FORECASTD_*
// variables of the test's environment are not passed on.
func startForecastd(t *testing.T, bin, dir string) *forecastdProc {
	t.Helper()
	logDir := t.TempDir()
	stdout, err := os.Create(filepath.Join(logDir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer checkClose(t, stdout.Close)
	stderr, err := os.Create(filepath.Join(logDir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer checkClose(t, stderr.Close)
	// No admin listener: its default port (6060) would collide with any
	// other forecastd on the machine.
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-admin-addr", "", "-data-dir", dir, "-workers", "1", "-log-format", "text")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FORECASTD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &forecastdProc{t: t, cmd: cmd, logs: stderr.Name(), client: &http.Client{Timeout: 10 * time.Second, Transport: apiTransport(t, checkAll)}}
	t.Cleanup(func() {
		if !p.exited {
			p.kill(t)
		}
		if t.Failed() {
			b, _ := os.ReadFile(p.logs)
			t.Logf("forecastd pid %d stderr (last 4 KiB):\n%s", cmd.Process.Pid, tail(b, 4096))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(stdout.Name())
		if _, rest, ok := strings.Cut(string(b), "serving on "); ok {
			if addr, _, ok := strings.Cut(rest, " "); ok {
				p.base = addr
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill(t)
	b, _ := os.ReadFile(p.logs)
	t.Fatalf("forecastd did not start within 30 s:\n%s", tail(b, 4096))
	return nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// kill sends SIGKILL and reaps the process.
func (p *forecastdProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("SIGKILL: %v", err)
	}
	if err := p.cmd.Wait(); err == nil { // "signal: killed" is the expected error
		t.Error("forecastd exited cleanly after SIGKILL")
	}
	p.exited = true
	p.client.CloseIdleConnections()
}

// stop sends SIGTERM and waits up to 30 s for a clean exit.
func (p *forecastdProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	timer := time.AfterFunc(30*time.Second, func() {
		if err := p.cmd.Process.Kill(); err != nil {
			t.Logf("SIGKILL after SIGTERM timed out: %v", err)
		}
	})
	err := p.cmd.Wait()
	timer.Stop()
	p.exited = true
	p.client.CloseIdleConnections()
	if err != nil {
		t.Fatalf("forecastd after SIGTERM: %v", err)
	}
}

// call makes one request; a transport error is returned, not fatal, as
// the process may be gone.
func (p *forecastdProc) call(method, path, ctype string, body []byte) (_ int, _ []byte, err error) {
	req, err := http.NewRequest(method, p.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { err = errors.Join(err, resp.Body.Close()) }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (p *forecastdProc) postJob(body string) string {
	p.t.Helper()
	code, b, err := p.call("POST", "/v1/jobs", "application/json", []byte(body))
	var created struct{ ID string }
	if err != nil || code != 202 || json.Unmarshal(b, &created) != nil {
		p.t.Fatalf("post job: %d %s %v", code, b, err)
	}
	return created.ID
}

func (p *forecastdProc) jobStatus(id string) jobStatus {
	p.t.Helper()
	code, b, err := p.call("GET", "/v1/jobs/"+id, "", nil)
	var js jobStatus
	if err != nil || code != 200 || json.Unmarshal(b, &js) != nil {
		p.t.Fatalf("job %s: %d %s %v", id, code, b, err)
	}
	return js
}

func (p *forecastdProc) waitState(id string, timeout time.Duration, ok func(jobStatus) bool) jobStatus {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		js := p.jobStatus(id)
		if ok(js) {
			return js
		}
		if js.State == "failed" || js.State == "cancelled" {
			p.t.Fatalf("job %s ended %s: %s", id, js.State, js.Error)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("job %s: still %+v after %v", id, js, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
