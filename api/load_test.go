package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOverloadAnswers503 fills the in-flight limit with uploads whose
// bodies have not arrived yet, and checks that the server sheds what is
// beyond the limit at once, with a 503 problem and Retry-After, counts it
// in forecastd_http_requests_rejected_total, and serves normally again as
// soon as the slow requests finish: overload is refused, not queued
// without bound. (bench/load measures the read path under load; this is
// the edge past it.)
func TestOverloadAnswers503(t *testing.T) {
	const limit = 2
	ts := startWith(t, Options{JobWorkers: 0, MaxInFlight: limit})

	type outcome struct {
		code int
		err  error
	}
	writers := make([]*io.PipeWriter, limit)
	done := make(chan outcome, limit)
	for i := range writers {
		pr, pw := io.Pipe()
		writers[i] = pw
		req, err := http.NewRequest("POST", ts.base+"/v1/sales", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/csv")
		go func() {
			resp, err := apiClientResponsesOnly(t).Do(req) // streamed body
			if err != nil {
				done <- outcome{err: err}
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			done <- outcome{code: resp.StatusCode, err: errors.Join(err, resp.Body.Close())}
		}()
		if _, err := pw.Write([]byte("date,store,sku,quantity\n")); err != nil {
			t.Fatal(err)
		}
	}
	release := func() {
		for i, pw := range writers {
			if pw != nil {
				// A refused upload's body is closed: nothing to write to.
				if _, err := pw.Write([]byte("2024-01-01,S1,SKU" + strconv.Itoa(i) + ",1\n")); err != nil && !errors.Is(err, io.ErrClosedPipe) {
					t.Error(err)
				}
				if err := pw.Close(); err != nil {
					t.Error(err)
				}
				writers[i] = nil
			}
		}
	}
	defer release() // on failure, let the uploads end before the server stops

	// Both uploads hold a slot once a cheap request is refused.
	deadline := time.Now().Add(10 * time.Second)
	var code int
	var hdr http.Header
	var b []byte
	for time.Now().Before(deadline) {
		if code, hdr, b = ts.do("GET", "/healthz", "", nil); code == 503 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code != 503 {
		t.Fatalf("with %d uploads in flight and MaxInFlight %d: /healthz %d %s, want 503", limit, limit, code, b)
	}
	var p Problem
	if !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") || hdr.Get("Retry-After") != "1" ||
		json.Unmarshal(b, &p) != nil || !strings.Contains(p.Detail, "busy") {
		t.Fatalf("refusal: Content-Type %q, Retry-After %q, body %s", hdr.Get("Content-Type"), hdr.Get("Retry-After"), b)
	}
	for _, path := range []string{"/v1/series", "/v1/forecasts/S1/SKU0"} {
		if code, _, b := ts.do("GET", path, "", nil); code != 503 {
			t.Errorf("GET %s while full: %d %s, want 503", path, code, b)
		}
	}

	release()
	for range limit {
		if o := <-done; o.err != nil || o.code != 200 {
			t.Fatalf("held upload: %d %v, want 200", o.code, o.err)
		}
	}
	if code, _, b := ts.do("GET", "/v1/series", "", nil); code != 200 {
		t.Fatalf("after the uploads finished: %d %s", code, b)
	}
	_, _, metrics := ts.do("GET", "/metrics", "", nil)
	m := regexp.MustCompile(`(?m)^forecastd_http_requests_rejected_total (\d+)`).FindSubmatch(metrics)
	if m == nil {
		t.Fatal("/metrics lacks forecastd_http_requests_rejected_total")
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 3 {
		t.Errorf("forecastd_http_requests_rejected_total = %d, want at least the 3 refusals made", n)
	}
}
