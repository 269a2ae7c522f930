package jobs

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/forecastd/forecastd/models"
)

func TestKindAtTheEdge(t *testing.T) {
	reg := models.Standard()
	for _, tc := range []struct {
		name, body string
		want       Kind
		err        string
	}{
		{"default", `{"horizon": 7}`, KindTrain, ""},
		{"empty is the default", `{"horizon": 7, "kind": ""}`, KindTrain, ""},
		{"train", `{"horizon": 7, "kind": "train"}`, KindTrain, ""},
		{"refresh", `{"horizon": 7, "kind": "refresh"}`, KindRefresh, ""},
		{"unknown", `{"horizon": 7, "kind": "retrain"}`, 0, `kind "retrain": want "train" or "refresh"`},
		{"not a string", `{"horizon": 7, "kind": 1}`, 0, "invalid job request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DecodeParams([]byte(tc.body), reg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || p.Kind != tc.want {
				t.Fatalf("kind = %v (%v), want %v", p.Kind, err, tc.want)
			}
			b, err := json.Marshal(p)
			if err != nil || !strings.Contains(string(b), `"kind":"`+tc.want.String()+`"`) {
				t.Fatalf("encoded %s (%v)", b, err)
			}
		})
	}
	// A Kind made in Go is checked too, and never written as a number.
	p := Params{Kind: 9, Horizon: 7}
	if err := p.Validate(reg); err == nil {
		t.Error("Validate accepted Kind(9)")
	}
	if _, err := json.Marshal(Params{Kind: 9}); err == nil {
		t.Error("Marshal accepted Kind(9)")
	}
}

// TestNegativePolicy: a job's negative policy is allow by default, read
// in any case as uploads read it, and refused when unknown.
func TestNegativePolicy(t *testing.T) {
	reg := models.Standard()
	for _, tc := range []struct {
		body, want, err string
	}{
		{`{"horizon": 7}`, "allow", ""},
		{`{"horizon": 7, "negative": "allow"}`, "allow", ""},
		{`{"horizon": 7, "negative": "clip"}`, "clip", ""},
		{`{"horizon": 7, "negative": "Refuse"}`, "refuse", ""},
		{`{"horizon": 7, "negative": "drop"}`, "", `negative "drop": want allow, clip or refuse`},
		{`{"horizon": 7, "negative": 1}`, "", "invalid job request"},
	} {
		p, err := DecodeParams([]byte(tc.body), reg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.body, err, tc.err)
			}
			continue
		}
		if err != nil || string(p.Negative) != tc.want {
			t.Errorf("%s: negative = %q (%v), want %q", tc.body, p.Negative, err, tc.want)
		}
	}
}
