package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/sqlstore"

	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs"
	"github.com/forecastd/forecastd/models"
)

// FuzzJobRequest feeds arbitrary bodies to the job request decoder: it
// must never panic, and whatever it accepts must be within the limits.
func FuzzJobRequest(f *testing.F) {
	for _, seed := range []string{
		`{"horizon": 28}`,
		`{"horizon": 28, "top_k": 5, "backtest_windows": 3, "stores": ["S01"], "skus": ["SKU001"]}`,
		`{"horizon": 7, "kind": "refresh", "models": ["naive", "ridge"], "metric": "wape", "combine": "median"}`,
		`{"horizon": -1}`, `{"horizon": 1e9}`, `{"horizon": "7"}`, `{"horizon": 7, "x": 1}`, `{"horizon": 7}{}`,
		`null`, `[]`, ``, `{"horizon": 7, "models": []}`, `{"horizon": 7, "step": 0, "season": 100000}`,
		`{"horizon":7,"HORIZON":300}`, `{"horizon":7,"horizon":300}`, `{"Horizon":7}`, `{"horizon":7,"ſtep":2}`,
		`{"horizon":7,"top_K":2}`, `{"horizon":7,"stores":["a"],"Stores":["b"]}`,
	} {
		f.Add([]byte(seed))
	}
	reg := models.Standard()
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := jobs.DecodeParams(body, reg)
		if err != nil {
			return
		}
		if p.Horizon < 1 || p.Horizon > forecast.MaxHorizon || p.TopK < 1 || p.TopK > forecast.MaxTopK ||
			p.BacktestWindows < 1 || p.BacktestWindows > forecast.MaxWindows {
			t.Fatalf("accepted out-of-range params %+v", p)
		}
		if p.Kind != jobs.KindTrain && p.Kind != jobs.KindRefresh {
			t.Fatalf("accepted kind %q", p.Kind)
		}
		if _, err := reg.Select(p.Models); err != nil {
			t.Fatalf("accepted unknown models %v", p.Models)
		}
		// What is accepted reads as it is decoded: each key once, and
		// spelt as its field (encoding/json alone folds case and keeps
		// the last of a repeated key).
		seen := map[string]bool{}
		for _, k := range topKeys(body) {
			if seen[k] || k != strings.ToLower(k) || !utf8.ValidString(k) || strings.ContainsFunc(k, func(r rune) bool { return r > 0x7f }) {
				t.Fatalf("accepted key %q of %s", k, body)
			}
			seen[k] = true
		}
	})
}

// topKeys are the keys of body's top-level object, in order, repeats
// included.
func topKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := tok.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

// fuzzStore answers the list and plan reads with empty or full pages, and
// checks that the handlers only pass it what they promise: page sizes
// within max_page_size, a known job state.
type fuzzStore struct {
	t *testing.T
}

func (f fuzzStore) limit(n int) {
	if n < 1 || n > maxPage {
		f.t.Fatalf("store asked for a page of %d", n)
	}
}

func (f fuzzStore) Ingest(context.Context, func(fn func(data.Observation) error) error) (sqlstore.IngestStats, error) {
	return sqlstore.IngestStats{}, nil
}
func (f fuzzStore) IngestCovariates(context.Context, func(fn func(data.Observation) error) error) (sqlstore.IngestStats, error) {
	return sqlstore.IngestStats{}, nil
}
func (f fuzzStore) ListSeries(_ context.Context, _ string, _ data.Key, limit int) ([]sqlstore.SeriesInfo, error) {
	f.limit(limit)
	out := make([]sqlstore.SeriesInfo, limit) // a full page: the handler writes next
	for i := range out {
		out[i] = sqlstore.SeriesInfo{Store: "S", SKU: strconv.Itoa(i), Rows: 1}
	}
	return out, nil
}
func (f fuzzStore) GetJob(_ context.Context, id string) (*sqlstore.Job, error) {
	return nil, fmt.Errorf("job %q: %w", id, sqlstore.ErrNotFound)
}
func (f fuzzStore) ListJobs(_ context.Context, state, _ string, limit int) ([]*sqlstore.Job, error) {
	f.limit(limit)
	switch state {
	case "", sqlstore.JobQueued, sqlstore.JobRunning, sqlstore.JobSucceeded, sqlstore.JobFailed, sqlstore.JobCancelled:
	default:
		f.t.Fatalf("store asked for jobs in state %q", state)
	}
	return nil, nil
}
func (f fuzzStore) GetResult(_ context.Context, k data.Key) (*sqlstore.Result, error) {
	return nil, fmt.Errorf("result of %s: %w", k, sqlstore.ErrNotFound)
}
func (f fuzzStore) Plan(context.Context, data.Key, sqlstore.PlanFilter, func(sqlstore.PlannedValue) error) error {
	return nil
}
func (f fuzzStore) DeletePlan(context.Context, data.Key, sqlstore.PlanFilter) (int64, error) {
	return 0, nil
}
func (f fuzzStore) LoadSeries(context.Context, sqlstore.SeriesFilter) ([]*data.Series, error) {
	return nil, nil
}
func (f fuzzStore) SeriesExtent(context.Context, data.Key) (sqlstore.Extent, error) {
	return sqlstore.Extent{}, nil
}
func (f fuzzStore) DeleteSeries(context.Context, data.Key, sqlstore.DateRange) (sqlstore.SeriesDeleted, error) {
	return sqlstore.SeriesDeleted{}, nil
}

// FuzzQueryParams sends arbitrary query strings to the endpoints that
// read them (pages, cursors, states, plan filters, a series delete's range): no panic, no 5xx, and
// the store is only asked what the limits allow (fuzzStore).
func FuzzQueryParams(f *testing.F) {
	for _, seed := range []struct {
		route uint8
		query string
	}{
		{0, "limit=10"}, {0, "limit=1001"}, {0, "limit=-1&limit=2"}, {0, "after=S%1FA&store=S"}, {0, "after=nocursor"},
		{1, "state=queued&limit=1000"}, {1, "state=QUEUED"}, {1, "before=x&limit=0"}, {1, "limit=99999999999999999999"},
		{2, "name=promo&from=2026-01-01&to=2026-02-01"}, {2, "from=2026-13-01"}, {2, "names=promo"}, {2, "name=a&name=b"},
		{3, "from=9999-12-31T23:00:00&to=0000-01-01"}, {4, "after=%1F&store="}, {2, "to=2026-01-01T25:00:00"}, {0, "%zz"},
		{5, ""}, {5, "from=2026-01-01&to=2026-02-01"}, {5, "from=2026-02-01&to=2026-01-01"}, {5, "to=2026-01-01T23:00:00"},
		{5, "from=0000-01-01"}, {5, "from=2026-01-01&from=2026-01-02"}, {5, "store=S"}, {5, "to=%00"},
	} {
		f.Add(seed.route, seed.query)
	}
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		s := &Server{log: slog.New(slog.DiscardHandler)}
		s.opts.defaults()
		st := fuzzStore{t: t}
		h, d := &v1API{Server: s, store: st}, &dashboard{Server: s, store: st}
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.UseRawPath, r.UnescapePathValues = true, true
		r.GET("/v1/series", h.listSeries)
		r.GET("/v1/jobs", h.listJobs)
		r.GET("/v1/series/:store/:sku/covariates", h.getPlan)
		r.DELETE("/v1/series/:store/:sku/covariates", h.deletePlan)
		r.GET("/ui/series", d.uiSeriesList)
		r.DELETE("/v1/series/:store/:sku", h.deleteSeries)
		targets := []struct{ method, path string }{{"GET", "/v1/series"}, {"GET", "/v1/jobs"},
			{"GET", "/v1/series/S/A/covariates"}, {"DELETE", "/v1/series/S/A/covariates"}, {"GET", "/ui/series"},
			{"DELETE", "/v1/series/S/A"}}
		tg := targets[int(route)%len(targets)]
		req := &http.Request{Method: tg.method, URL: &url.URL{Path: tg.path, RawQuery: query}, Header: http.Header{},
			Body: http.NoBody, Host: "x"}
		req = req.WithContext(context.Background())
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s: %d %s", tg.method, tg.path, query, w.Code, w.Body)
		}
	})
}
