package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
)

func (s *Server) memReports(c *gin.Context) {
	reps := s.guard.Reports()
	type row struct {
		ID            string    `json:"id"`
		Kind          string    `json:"kind"`
		Started       time.Time `json:"started"`
		Finished      time.Time `json:"finished"`
		RetainedBytes int64     `json:"retained_bytes"`
		HeapLiveAfter int64     `json:"heap_live_after"`
		Verdict       string    `json:"verdict"`
		Reason        string    `json:"reason"`
		Sites         int       `json:"sites"`
		Leaked        int       `json:"leaked_goroutines"`
	}
	items := make([]row, 0, len(reps))
	for _, r := range reps {
		items = append(items, row{ID: r.ID, Kind: r.Kind, Started: r.Started, Finished: r.Finished,
			RetainedBytes: r.RetainedBytes, HeapLiveAfter: r.HeapLiveAfter, Verdict: r.Verdict.State,
			Reason: r.Verdict.Reason, Sites: len(r.TopGrowth), Leaked: len(r.LeakedGoroutines)})
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) memReport(c *gin.Context) {
	r, ok := s.guard.Report(c.Param("id"))
	if !ok {
		problem(c, http.StatusNotFound, "memguard report "+c.Param("id")+" not found (reports are kept in memory, latest first)")
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) memProfile(c *gin.Context) {
	b, ok := s.guard.DiffProfile(c.Param("id"))
	if !ok {
		problem(c, http.StatusNotFound, "no heap diff profile for report "+c.Param("id")+" (profiles are taken when a kind looks suspicious or profiling is on)")
		return
	}
	c.Header("Content-Disposition", `attachment; filename="heap-diff-`+c.Param("id")+`.pb.gz"`)
	c.Data(http.StatusOK, "application/octet-stream", b)
}

// memguardStore is what the quarantine and hunt endpoints need of the
// store: the guard's decisions are persisted there so that they survive
// a restart (jobs.OpenEngine loads the quarantine back).
type memguardStore interface {
	Quarantine(ctx context.Context, q sqlstore.Quarantined) error
	Unquarantine(ctx context.Context, model string) (bool, error)
	QuarantineList(ctx context.Context) ([]sqlstore.Quarantined, error)
	ListHunts(ctx context.Context, before string, limit int) ([]*sqlstore.Hunt, error)
	GetHunt(ctx context.Context, id string) (*sqlstore.Hunt, error)
}

// memguardAPI serves the persisted memguard endpoints.
type memguardAPI struct {
	*Server
	store memguardStore
}

// maxQuarantineBody bounds a quarantine request's body ({"reason": ...}).
const maxQuarantineBody = 4 << 10

// putQuarantine quarantines a model on an operator's word: 201 when it
// was not quarantined, 200 when its reason is replaced.
func (s *memguardAPI) putQuarantine(c *gin.Context) {
	name := c.Param("model")
	if _, ok := s.opts.Registry.Lookup(name); !ok {
		problem(c, http.StatusNotFound, "model "+name+" is not a registered model (GET /v1/models)")
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxQuarantineBody))
	if err != nil {
		fail(c, err)
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			problem(c, http.StatusBadRequest, "body: want {\"reason\": \"...\"}: "+err.Error())
			return
		}
	}
	if body.Reason == "" {
		body.Reason = "quarantined by an operator"
	}
	e, was := s.guard.Quarantined()[name]
	if !was {
		e = memguard.QuarantineEntry{Name: name, Since: time.Now()}
	}
	if err := s.store.Quarantine(c.Request.Context(), sqlstore.Quarantined{Model: name, Reason: body.Reason, Since: e.Since}); err != nil {
		fail(c, err)
		return
	}
	s.guard.Quarantine(name, body.Reason)
	status := http.StatusCreated
	if was {
		status = http.StatusOK
	}
	q, err := s.quarantined(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, q[name])
}

// quarantined is the guard's quarantine with the times the store
// recorded: a quarantine loaded at startup is as old as the first
// decision, not as the process.
func (s *memguardAPI) quarantined(ctx context.Context) (map[string]memguard.QuarantineEntry, error) {
	q := s.guard.Quarantined()
	rows, err := s.store.QuarantineList(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if e, ok := q[r.Model]; ok {
			e.Since = r.Since
			q[r.Model] = e
		}
	}
	return q, nil
}

func (s *memguardAPI) quarantine(c *gin.Context) {
	q, err := s.quarantined(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	items := make([]memguard.QuarantineEntry, 0, len(names))
	for _, n := range names {
		items = append(items, q[n])
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *memguardAPI) unquarantine(c *gin.Context) {
	name := c.Param("model")
	stored, err := s.store.Unquarantine(c.Request.Context(), name)
	if err != nil {
		fail(c, err)
		return
	}
	if !s.guard.Unquarantine(name) && !stored {
		problem(c, http.StatusNotFound, "model "+name+" is not quarantined")
		return
	}
	c.Status(http.StatusNoContent)
}

// huntRow is a hunt in the list.
type huntRow struct {
	ID              string    `json:"id"`
	Kind            string    `json:"kind"`
	ReportID        string    `json:"report_id"`
	Started         time.Time `json:"started"`
	DurationSeconds float64   `json:"duration_seconds"`
	Culprits        []string  `json:"culprits"`
	Shared          int       `json:"shared"`
}

func newHuntRow(h *sqlstore.Hunt) huntRow {
	culprits := h.Culprits
	if culprits == nil {
		culprits = []string{}
	}
	return huntRow{ID: h.ID, Kind: h.Kind, ReportID: h.ReportID, Started: h.Started,
		DurationSeconds: h.Duration.Seconds(), Culprits: culprits, Shared: h.Shared}
}

func (s *memguardAPI) memHunts(c *gin.Context) {
	limit, ok := pageSize(c)
	if !ok {
		return
	}
	rows, err := s.store.ListHunts(c.Request.Context(), c.Query("before"), limit)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]huntRow, 0, len(rows))
	for _, h := range rows {
		items = append(items, newHuntRow(h))
	}
	last := ""
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	writePage(c, items, len(items) == limit, "/v1/memguard/hunts", last)
}

func (s *memguardAPI) memHunt(c *gin.Context) {
	h, err := s.store.GetHunt(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	var res memguard.HuntResult
	if err := record.Hunt.Decode(h.Body, &res); err != nil {
		fail(c, errors.Join(errors.New("hunt "+h.ID+" unreadable"), err))
		return
	}
	c.JSON(http.StatusOK, struct {
		huntRow
		Result memguard.HuntResult `json:"result"`
	}{newHuntRow(h), res})
}
