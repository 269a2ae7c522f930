package api

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/forecast"
)

// TestSeriesPageWhyAndWhatIf: the series page explains the forecast
// (kept models, the baseline plan, a contributions chart and the promo
// days' rows with promo the largest effect) and forecasts the scenario
// its form asks for: moving a promo moves the change to the new date; a
// bad form is a 400 page saying why.
func TestSeriesPageWhyAndWhatIf(t *testing.T) {
	ts := trainedDemo(t)
	var fc struct{ Points []forecast.Point }
	ts.getJSON("/v1/forecasts/S01/SKU001", &fc)
	_, steps := promoDays(t, fc.Points)

	code, _, b := ts.do("GET", "/ui/series/S01/SKU001", "", nil)
	page := string(b)
	if code != 200 {
		t.Fatalf("series page: %d %.300s", code, b)
	}
	for _, want := range []string{"<h2>Why this forecast</h2>", "<code>promo</code> = 0", "<h3>Covariate contributions</h3>",
		"<h3>Seasonal profile</h3>", "<h3>Feature importances: <code>", "<h2>What if</h2>", `name="move_cov"`, "/v1/forecasts/S01/SKU001/explain"} {
		if !strings.Contains(page, want) {
			t.Errorf("series page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n < 3 {
		t.Errorf("%d charts, want the forecast, the explanation and the contributions", n)
	}
	for _, i := range steps {
		row := regexp.MustCompile(`<tr><td>` + fc.Points[i].Date + `</td>.*?</tr>`).FindString(page)
		if !strings.Contains(row, "<code>promo</code></td></tr>") {
			t.Errorf("promo day %s: row %q does not name promo the largest effect", fc.Points[i].Date, row)
		}
	}

	from, to := fc.Points[steps[0]].Date, fc.Points[steps[0]+3].Date
	q := url.Values{"scenario": {"1"}, "move_cov": {"promo"}, "move_from": {from}, "move_to": {to}}
	code, _, b = ts.do("GET", "/ui/series/S01/SKU001?"+q.Encode(), "", nil)
	page = string(b)
	if code != 200 {
		t.Fatalf("scenario page: %d %.300s", code, b)
	}
	if strings.Contains(page, "Scenario refused") || strings.Count(page, "<svg") < 4 {
		t.Fatalf("scenario not shown: %d charts", strings.Count(page, "<svg"))
	}
	rows := regexp.MustCompile(`<tr><td>(\d{4}-\d\d-\d\d)</td><td class="num">[^<]*</td><td class="num">[^<]*</td><td class="num">(-?[0-9.,]+)</td></tr>`).
		FindAllStringSubmatch(page[strings.Index(page, `id="scenario"`):], -1)
	changes := map[string]string{}
	for _, r := range rows {
		changes[r[1]] = r[2]
	}
	if c, ok := changes[to]; !ok || strings.HasPrefix(c, "-") {
		t.Errorf("moved-to day %s: change %q, want a rise (rows %v)", to, c, changes)
	}
	if c, ok := changes[from]; !ok || !strings.HasPrefix(c, "-") {
		t.Errorf("moved-from day %s: change %q, want a drop (rows %v)", from, c, changes)
	}

	// A price-cut-like set over two days of the horizon.
	q = url.Values{"scenario": {"1"}, "set_cov": {"promo"}, "set_value": {"1"}, "set_from": {fc.Points[1].Date}, "set_to": {fc.Points[2].Date}}
	if code, _, b := ts.do("GET", "/ui/series/S01/SKU001?"+q.Encode(), "", nil); code != 200 || strings.Contains(string(b), "Scenario refused") ||
		!strings.Contains(string(b), "<tr><td>"+fc.Points[1].Date+"</td>") {
		t.Errorf("set over two days: %d, no change listed for %s", code, fc.Points[1].Date)
	}

	for _, bad := range []url.Values{
		{"scenario": {"1"}, "move_cov": {"promo"}, "move_from": {"2020-01-01"}, "move_to": {to}},
		{"scenario": {"1"}, "set_cov": {"promo"}, "set_value": {"lots"}},
		{"scenario": {"1"}, "set_cov": {"nope"}, "set_value": {"1"}},
		{"scenario": {"1"}, "set_cov": {"promo"}, "set_value": {"1"}, "set_from": {"1900-01-01"}, "set_to": {"2199-12-31"}},
		{"scenario": {"1"}},
	} {
		code, _, b := ts.do("GET", "/ui/series/S01/SKU001?"+bad.Encode(), "", nil)
		if code != 400 || !strings.Contains(string(b), "Scenario refused: ") {
			t.Errorf("%s: %d, want a 400 page saying why", bad.Encode(), code)
		}
	}
}
