package record_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/forecast"
	"github.com/forecastd/forecastd/jobs/record"
)

// v0Rows are rows as forecastd stored them before records had versions:
// testdata/v0_rows.json, written by testdata/gen_v0.go.txt at commit 143c951
// (its doc comment says how to regenerate it).
type v0Rows struct {
	Commit string `json:"commit"`
	Jobs   []struct {
		ID, Kind, Params, Memory, Phases string
	} `json:"jobs"`
	Results []struct {
		Store  string `json:"store"`
		SKU    string `json:"sku"`
		Body   string `json:"body"`
		Models string `json:"models"`
	} `json:"results"`
}

func readV0(t *testing.T) v0Rows {
	t.Helper()
	b, err := os.ReadFile("testdata/v0_rows.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows v0Rows
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if rows.Commit != "143c951" || len(rows.Results) != 3 {
		t.Fatalf("testdata/v0_rows.json: commit %q, %d results", rows.Commit, len(rows.Results))
	}
	return rows
}

// sameResult compares results field by field, NaN equal to NaN.
func sameResult(t *testing.T, what string, got, want *forecast.Result) {
	t.Helper()
	g, w := *got, *want
	for _, p := range []struct{ g, w *float64 }{{&g.Coverage80, &w.Coverage80}, {&g.Coverage95, &w.Coverage95}} {
		if math.IsNaN(*p.g) != math.IsNaN(*p.w) || !math.IsNaN(*p.g) && *p.g != *p.w {
			t.Errorf("%s: coverage %v, want %v", what, *p.g, *p.w)
		}
		*p.g, *p.w = 0, 0
	}
	// Metrics hold NaN too (an undefined MAPE): compare their JSON.
	gb, err1 := json.Marshal(&g)
	wb, err2 := json.Marshal(&w)
	if err1 != nil || err2 != nil || !bytes.Equal(gb, wb) {
		t.Errorf("%s:\n got %s (%v)\nwant %s (%v)", what, gb, err1, wb, err2)
	}
}

// TestReadsV0Results decodes results and kept models written by the code
// before records to the values that code read back, with an undefined
// coverage read as NaN (as Result.MarshalJSON meant), and re-encodes them
// to the same data inside a version 1 envelope.
func TestReadsV0Results(t *testing.T) {
	rows := readV0(t)
	nullCoverage := 0
	for _, row := range rows.Results {
		name := row.Store + "/" + row.SKU
		var got forecast.Result
		if err := record.Result.Decode([]byte(row.Body), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// What the old readers did: plain decoding, and a null coverage
		// made NaN (api's series page).
		var want forecast.Result
		if err := json.Unmarshal([]byte(row.Body), &want); err != nil {
			t.Fatal(err)
		}
		var cov struct {
			C80 *float64 `json:"coverage_80"`
			C95 *float64 `json:"coverage_95"`
		}
		if err := json.Unmarshal([]byte(row.Body), &cov); err != nil {
			t.Fatal(err)
		}
		if cov.C80 == nil {
			want.Coverage80 = math.NaN()
			nullCoverage++
		}
		if cov.C95 == nil {
			want.Coverage95 = math.NaN()
		}
		sameResult(t, name, &got, &want)
		if got.Store != row.Store || got.SKU != row.SKU || len(got.Points) != got.Horizon || (len(got.Leaderboard) == 0) != (got.Fallback != "") {
			t.Errorf("%s: decoded %+v", name, got)
		}
		enc, err := record.Result.Encode(&got)
		if err != nil {
			t.Fatal(err)
		}
		if wantEnc := `{"v":1,"data":` + row.Body + `}`; string(enc) != wantEnc {
			t.Errorf("%s: re-encoded\n%s\nwant\n%s", name, enc, wantEnc)
		}

		var served forecast.Result
		if err := record.DecodeResultServed([]byte(row.Body), &served); err != nil {
			t.Fatal(err)
		}
		if served.Leaderboard != nil || served.Combination != (forecast.Metrics{}) {
			t.Errorf("%s: served decoding kept the leaderboard", name)
		}
		want.Leaderboard, want.Combination = nil, forecast.Metrics{}
		sameResult(t, name+" served", &served, &want)

		var kept []forecast.Kept
		if err := record.Kept.Decode([]byte(row.Models), &kept); err != nil {
			t.Fatalf("%s kept: %v", name, err)
		}
		var wantKept []forecast.Kept
		if err := json.Unmarshal([]byte(row.Models), &wantKept); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(kept, wantKept) || (row.SKU == "TINY") != (kept == nil) {
			t.Errorf("%s: kept %d models, want %d", name, len(kept), len(wantKept))
		}
		if enc, err := record.Kept.Encode(&kept); err != nil || string(enc) != `{"v":1,"data":`+row.Models+`}` {
			t.Errorf("%s: kept re-encoded %.80s (%v)", name, enc, err)
		}
	}
	if nullCoverage == 0 {
		t.Error("no v0 result has an undefined coverage: the NaN case is untested")
	}
}

func TestVersions(t *testing.T) {
	params := record.New[map[string]int]("test values")
	v := map[string]int{"horizon": 7}
	enc, err := params.Encode(&v)
	if err != nil || string(enc) != `{"v":1,"data":{"horizon":7}}` {
		t.Fatalf("Encode = %s (%v)", enc, err)
	}
	for _, tc := range []struct {
		name, in string
		want     map[string]int
		err      error  // errors.Is
		msg      string // in the error
	}{
		{"version 1", string(enc), v, nil, ""},
		{"version 1 with spaces around", " \n" + string(enc) + "\n", v, nil, ""},
		{"version 0 (bare)", `{"horizon":7}`, v, nil, ""},
		{"newer version", `{"v":2,"data":{"horizon":7}}`, nil, record.ErrUnknownVersion, "test values: version 2"},
		{"empty", ``, nil, record.ErrUnknownVersion, "empty record"},
		{"bad version", `{"v":x,"data":{}}`, nil, nil, "malformed record version"},
		{"no data", `{"v":1}`, nil, nil, "malformed record envelope"},
		{"bad data", `{"v":1,"data":[1]}`, nil, nil, "decode test values (version 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got map[string]int
			err := params.Decode([]byte(tc.in), &got)
			if tc.msg == "" {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("Decode = %v (%v), want %v", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.msg) || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("Decode error = %v, want %q", err, tc.msg)
			}
		})
	}
}

func TestResultRoundTrip(t *testing.T) {
	in := forecast.Result{Store: "S", SKU: "A", Horizon: 1, Points: []forecast.Point{{Date: "2026-01-01", Value: 1.5}},
		Coverage80: math.NaN(), Coverage95: 0.95, Combination: forecast.Metrics{MAE: 1, MAPE: math.NaN(), RMSE: 2}}
	enc, err := record.Result.Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out forecast.Result
	if err := record.Result.Decode(enc, &out); err != nil {
		t.Fatal(err)
	}
	sameResult(t, "round trip", &out, &in)
}
