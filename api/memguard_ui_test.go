package api

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs/record"
)

// uiSharedSink is where uiSharedHelper leaks; the test empties it.
var uiSharedSink [][]byte

// uiSharedHelper is code two candidates share, leaking 48 small objects
// per call.
//
//go:noinline
func uiSharedHelper() {
	for range 48 {
		uiSharedSink = append(uiSharedSink, make([]byte, 64))
	}
}

// TestUIMemguard: the overview lists the quarantine (who quarantined each
// model) and the stored hunts; a hunt's page shows the verdict on each
// candidate, its sites and the shared-code leak with the models that
// reach it. The hunt is a real one, run by the server's guard.
func TestUIMemguard(t *testing.T) {
	t.Cleanup(func() { uiSharedSink = nil })
	ts := startOpsServer(t, Options{}, nil)
	var parked [][]byte
	t.Cleanup(func() { parked = nil })
	cands := map[string]func(context.Context) error{
		"leaky<m>": func(context.Context) error { parked = append(parked, make([]byte, 256<<10)); return nil },
		"clean":    func(context.Context) error { _ = make([]byte, 1<<20); return nil },
		"a":        func(context.Context) error { uiSharedHelper(); uiSharedHelper(); return nil },
		"b":        func(context.Context) error { uiSharedHelper(); uiSharedHelper(); return nil },
	}
	ctx := context.Background()
	started := time.Now()
	res, err := ts.guard.Hunt(ctx, cands, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Culprits) != 1 || len(res.Shared) == 0 {
		t.Fatalf("hunt: culprits %v, shared %+v", res.Culprits, res.Shared)
	}
	body, err := record.Hunt.Encode(res)
	if err != nil {
		t.Fatal(err)
	}
	q := ts.guard.Quarantined()["leaky<m>"]
	if err := ts.Store().Quarantine(ctx, sqlstore.Quarantined{Model: q.Name, Reason: q.Reason, Since: q.Since}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Store().SaveHunt(ctx, sqlstore.Hunt{ID: "hunt-1", Kind: "train", ReportID: "rep-9", Started: started,
		Duration: time.Since(started), Culprits: res.Culprits, Shared: len(res.Shared), Body: body}); err != nil {
		t.Fatal(err)
	}
	if code, _, b := ts.do("PUT", "/v1/memguard/quarantine/ses", "application/json", []byte(`{"reason": "slow to fit"}`)); code != 201 {
		t.Fatalf("PUT quarantine: %d %s", code, b)
	}

	code, _, page := ts.get("/ui", nil)
	if code != 200 {
		t.Fatalf("/ui: %d", code)
	}
	for _, want := range []string{
		"Quarantined models", "<td><code>leaky&lt;m&gt;</code></td>", "<td>hunt</td>", "<td><code>ses</code></td>",
		"<td>operator</td>", "slow to fit", "Leak hunts", `href="/ui/memguard/hunts/hunt-1"`, "leak in <code>train</code>",
		"rep-9", "<code>leaky&lt;m&gt;</code>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/ui lacks %q", want)
		}
	}

	code, _, page = ts.get("/ui/memguard/hunts/hunt-1", nil)
	if code != 200 {
		t.Fatalf("hunt page: %d %s", code, page)
	}
	sh := res.Shared[0]
	for _, want := range []string{
		"Leak hunt <code>hunt-1</code>", "Leaks in shared code", "uiSharedHelper",
		"reached from <code>a</code>, <code>b</code>", "state state-leak\">culprit", "state-clean",
		"reaches shared-code leak", "<code>leaky&lt;m&gt;</code>: top sites", "memguard_ui_test.go",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("hunt page lacks %q", want)
		}
	}
	text := html.UnescapeString(page)
	if !strings.Contains(text, sh.Reason) {
		t.Errorf("hunt page lacks the shared leak %q", sh.Reason)
	}
	for _, c := range res.Candidates {
		if !strings.Contains(text, c.Reason) {
			t.Errorf("hunt page lacks candidate %s's verdict %q", c.Name, c.Reason)
		}
	}
	if code, _, _ := ts.get("/ui/memguard/hunts/nope", nil); code != 404 {
		t.Errorf("unknown hunt page: %d", code)
	}
}
