package api

import (
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"
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

func (s *Server) quarantine(c *gin.Context) {
	q := s.guard.Quarantined()
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	items := make([]any, 0, len(names))
	for _, n := range names {
		items = append(items, q[n])
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

func (s *Server) unquarantine(c *gin.Context) {
	if !s.guard.Unquarantine(c.Param("model")) {
		problem(c, http.StatusNotFound, "model "+c.Param("model")+" is not quarantined")
		return
	}
	c.Status(http.StatusNoContent)
}
