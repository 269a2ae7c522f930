package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestQuarantineRows(t *testing.T) { checkQuarantineRows(t, openTestStore(t)) }
func TestHuntRows(t *testing.T)       { checkHuntRows(t, openTestStore(t)) }

// TestPostgresMemguardRows runs the same checks on PostgreSQL.
func TestPostgresMemguardRows(t *testing.T) {
	s, _ := openTestPostgres(t)
	checkQuarantineRows(t, s)
	checkHuntRows(t, s)
}

func checkQuarantineRows(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.Quarantine(ctx, Quarantined{Model: "theta", Reason: "leak", Since: since}); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, Quarantined{Model: "theta", Reason: "operator", Since: since.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, Quarantined{Model: "arima", Reason: "x", Since: since}); err != nil {
		t.Fatal(err)
	}
	got, err := s.QuarantineList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Model != "theta" || got[1].Reason != "operator" || !got[1].Since.Equal(since) {
		t.Fatalf("list = %+v", got)
	}
	if ok, err := s.Unquarantine(ctx, "theta"); err != nil || !ok {
		t.Fatalf("unquarantine = %v, %v", ok, err)
	}
	if ok, err := s.Unquarantine(ctx, "theta"); err != nil || ok {
		t.Fatalf("second unquarantine = %v, %v", ok, err)
	}
}

func checkHuntRows(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"h1", "h2", "h3"} {
		h := Hunt{ID: id, Kind: "train", ReportID: "r" + id, Started: t0.Add(time.Duration(i) * time.Minute),
			Duration: 1500 * time.Millisecond, Shared: i, Body: []byte(`{"v":1}`)}
		if i == 1 {
			h.Culprits = []string{"leaky", "theta"}
		}
		if err := s.SaveHunt(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListHunts(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "h3" || list[1].ID != "h2" || len(list[1].Culprits) != 2 || list[1].Body != nil {
		t.Fatalf("page 1 = %+v", list)
	}
	list, err = s.ListHunts(ctx, "h2", 2)
	if err != nil || len(list) != 1 || list[0].ID != "h1" {
		t.Fatalf("page 2 = %+v, %v", list, err)
	}
	h, err := s.GetHunt(ctx, "h2")
	if err != nil || string(h.Body) != `{"v":1}` || h.Duration != 1500*time.Millisecond || h.Shared != 1 || !h.Started.Equal(t0.Add(time.Minute)) {
		t.Fatalf("get = %+v, %v", h, err)
	}
	if _, err := s.GetHunt(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing hunt: %v", err)
	}
}
