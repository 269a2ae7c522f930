package ingest

import (
	"errors"
	"strings"
	"testing"
)

// Identifiers beginning with "_" name the aggregates of a reconciled job
// (_total); an upload that uses one is refused, naming the field.
func TestReservedIdentifiers(t *testing.T) {
	for _, c := range []struct {
		name, format, body, want string
	}{
		{"csv store", "csv", "date,store,sku,quantity\n2024-01-01,_total,A,1\n", "store \"_total\" begins with _"},
		{"csv sku", "csv", "date,store,sku,quantity\n2024-01-01,S1,_x,1\n", "sku \"_x\" begins with _"},
		{"ndjson sku", "ndjson", `{"date":"2024-01-01","store":"S1","sku":"_total","quantity":1}`, "sku \"_total\" begins with _"},
		{"plan store", "plan", "date,store,sku,promo\n2024-01-01,_s,A,1\n", "store \"_s\" begins with _"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := parseWith(t, c.format, strings.NewReader(c.body), nil)
			var pe *ParseError
			if !errors.As(p.err, &pe) || !strings.Contains(p.err.Error(), c.want) {
				t.Fatalf("error %v, want a *ParseError with %q", p.err, c.want)
			}
		})
	}
	// An underscore inside an identifier is fine.
	p := parseWith(t, "csv", strings.NewReader("date,store,sku,quantity\n2024-01-01,S_1,A_b,1\n"), nil)
	if p.err != nil {
		t.Fatalf("S_1/A_b refused: %v", p.err)
	}
}
