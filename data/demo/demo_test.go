package demo

import (
	"testing"
	"time"
)

func TestDemoPlan(t *testing.T) {
	o := Options{Stores: 2, SKUs: 3, Days: 60}
	plan := Plan(o)
	if len(plan) != 2*3*35 {
		t.Fatalf("%d plan rows, want %d", len(plan), 2*3*35)
	}
	end := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	promos := 0
	for i, p := range plan {
		if want := end.AddDate(0, 0, i%35+1); !p.Date.Equal(want) {
			t.Fatalf("row %d dated %s, want %s", i, p.Date, want)
		}
		promos += int(p.Covariates["promo"])
	}
	if promos == 0 || promos > len(plan)/5 {
		t.Errorf("%d promotions planned in %d days", promos, len(plan))
	}
	if again := Plan(o); again[17].Covariates["promo"] != plan[17].Covariates["promo"] {
		t.Fatal("Plan is not deterministic")
	}
}

func TestDemoDeterministic(t *testing.T) {
	a := Sales(Options{Stores: 1, SKUs: 4, Days: 60})
	b := Sales(Options{Stores: 1, SKUs: 4, Days: 60})
	if len(a) != 240 {
		t.Fatalf("rows = %d", len(a))
	}
	zeros := 0
	for i := range a {
		if a[i].Quantity != b[i].Quantity || !a[i].Date.Equal(b[i].Date) {
			t.Fatalf("row %d differs", i)
		}
		if a[i].Key.SKU == "SKU004" && a[i].Quantity == 0 {
			zeros++
		}
	}
	if zeros < 20 {
		t.Errorf("slow mover has %d zero days of 60, want many", zeros)
	}
}
