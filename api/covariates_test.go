package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data"
)

// planNDJSON is a promotion plan for the h days after 2026-10-31 (the
// demo's last day): promo 1 on the days listed for SKU001, 0 on every
// other day, and 0 throughout for SKU002.
func planNDJSON(h int, promoDays ...int) []byte {
	var b bytes.Buffer
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	for _, sku := range []string{"SKU001", "SKU002"} {
		for d := 0; d < h; d++ {
			promo := 0
			if sku == "SKU001" && slices.Contains(promoDays, d) {
				promo = 1
			}
			fmt.Fprintf(&b, `{"date":%q,"store":"S01","sku":%q,"covariates":{"promo":%d}}`+"\n",
				end.AddDate(0, 0, d+1).Format("2006-01-02"), sku, promo)
		}
	}
	return b.Bytes()
}

type promoForecast struct {
	JobID      string   `json:"job_id"`
	Covariates []string `json:"covariates"`
	Points     []struct {
		Date  string
		Value float64
	}
}

// peak is the forecast on day d and the larger of the forecasts on the
// same weekday a week before and after (the weekly pattern is strong).
func (f promoForecast) peak(d int) (on, around float64) {
	return f.Points[d].Value, math.Max(f.Points[d-7].Value, f.Points[d+7].Value)
}

// TestPlannedPromotions goes through the API: sales with a strong
// promotion effect, then a plan with one promotion in the next 28 days;
// the training job's forecast is at least 30% higher on the planned promo
// day than on the same weekday a week before and after, and names the
// covariate it used. A new plan that moves the promotion, then a refresh
// job, moves the peak: refresh jobs load the plan too.
func TestPlannedPromotions(t *testing.T) {
	ts := startServer(t, t.TempDir(), 1)
	const h = 28
	sales := demoCSV(t, data.DemoOptions{Stores: 1, SKUs: 2, Days: 500, PromoLift: 2})
	if code, _, b := ts.do("POST", "/v1/sales", "text/csv", sales); code != 200 {
		t.Fatalf("sales upload: %d %s", code, b)
	}
	code, _, b := ts.do("POST", "/v1/covariates", "application/x-ndjson", planNDJSON(h, 10))
	var st data.IngestStats
	if err := json.Unmarshal(b, &st); code != 200 || err != nil || st.Rows != 2*h || st.Series != 2 {
		t.Fatalf("plan upload: %d %s", code, b)
	}

	run := func(body string) promoForecast {
		t.Helper()
		code, _, b := ts.do("POST", "/v1/jobs", "application/json", []byte(body))
		if code != 202 {
			t.Fatalf("post job: %d %s", code, b)
		}
		var created struct{ ID string }
		json.Unmarshal(b, &created)
		ts.waitJob(created.ID, "succeeded", 3*time.Minute)
		var fc promoForecast
		if code := ts.getJSON("/v1/forecasts/S01/SKU001", &fc); code != 200 || fc.JobID != created.ID || len(fc.Points) != h {
			t.Fatalf("forecast: %d %+v", code, fc)
		}
		return fc
	}
	// Two candidates keep the job short: ridge, which reads the plan,
	// and seasonal naive, which cannot.
	trained := run(`{"horizon": 28, "models": ["ridge", "seasonal_naive"], "top_k": 2}`)
	if !slices.Equal(trained.Covariates, []string{"promo"}) {
		t.Fatalf("forecast used covariates %v, want [promo]", trained.Covariates)
	}
	if on, around := trained.peak(10); on < 1.3*around {
		t.Errorf("forecast %.2f on the planned promo day %s, %.2f on the same weekday around it: want 30%% more",
			on, trained.Points[10].Date, around)
	}

	// The promotion moves a week later; the upload replaces the plan's
	// values day by day.
	if code, _, b := ts.do("POST", "/v1/covariates", "application/x-ndjson", planNDJSON(h, 17)); code != 200 {
		t.Fatalf("second plan upload: %d %s", code, b)
	}
	refreshed := run(`{"kind": "refresh", "horizon": 28}`)
	if on, around := refreshed.peak(17); on < 1.3*around {
		t.Errorf("refresh: forecast %.2f on the moved promo day, %.2f around it", on, around)
	}
	if refreshed.Points[10].Value >= trained.Points[10].Value {
		t.Errorf("refresh: day 10 is no longer a promo day, but its forecast %.2f did not drop from %.2f",
			refreshed.Points[10].Value, trained.Points[10].Value)
	}
}
