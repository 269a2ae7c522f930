package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/forecastd/forecastd/jobs"
)

func TestListSchedules(t *testing.T) {
	ctx := context.Background()
	srv, err := New(ctx, Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), JobWorkers: 0,
		Logger:  slog.New(slog.NewTextHandler(testLogOutput(), nil)),
		Backend: BackendOptions{jobs.Backend{RetrainCron: "0 2 * * 0", RefreshCron: "30 1 * * *", ScheduleHorizon: 14}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkClose(t, func() error { return srv.Stop(ctx) }) })
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	resp, err := apiClient(t).Get("http://" + srv.Addr() + "/v1/schedules")
	if err != nil {
		t.Fatal(err)
	}
	defer checkClose(t, resp.Body.Close)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/schedules: %d %s", resp.StatusCode, body)
	}
	var got struct{ Items []jobs.ScheduleInfo }
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 2 {
		t.Fatalf("items = %+v", got.Items)
	}
	// Next runs by the cron rules, computed independently of robfig/cron:
	// Sunday 02:00 UTC and the next 01:30 UTC after now.
	now := before.UTC()
	for _, tc := range []struct {
		name string
		kind jobs.Kind
		ok   func(time.Time) bool
	}{
		{"retrain", jobs.KindTrain, func(n time.Time) bool {
			return n.Weekday() == time.Sunday && n.Hour() == 2 && n.Minute() == 0 && n.Sub(now) <= 7*24*time.Hour
		}},
		{"refresh", jobs.KindRefresh, func(n time.Time) bool {
			return n.Hour() == 1 && n.Minute() == 30 && n.Sub(now) <= 24*time.Hour
		}},
	} {
		var it *jobs.ScheduleInfo
		for i := range got.Items {
			if got.Items[i].Name == tc.name {
				it = &got.Items[i]
			}
		}
		if it == nil || it.Kind != tc.kind || it.Horizon != 14 || !it.NextRun.After(now) || !tc.ok(it.NextRun.UTC()) {
			t.Errorf("schedule %s = %+v", tc.name, it)
		}
	}
}
