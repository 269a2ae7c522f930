package api

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/jobs/record"
	"github.com/forecastd/forecastd/memguard"
)

// uiHunts is how many recent hunts the overview lists.
const uiHunts = 10

// quarantineRow is a quarantined model as the overview shows it.
type quarantineRow struct {
	memguard.QuarantineEntry
	// By is "hunt" when memguard's hunt quarantined the model, whose
	// reasons start "hunt: " (memguard.Guard.Hunt), else "operator" (PUT
	// /v1/memguard/quarantine/{model}).
	By string
}

// quarantinedBy says who quarantined a model from its reason.
func quarantinedBy(reason string) string {
	if strings.HasPrefix(reason, "hunt: ") {
		return "hunt"
	}
	return "operator"
}

// memguardSection is the overview's memguard part: the quarantine (with
// the times the store recorded) and the latest hunts.
type memguardSection struct {
	Quarantined []quarantineRow
	Hunts       []huntRow
}

// memguardOverview reads the overview's memguard section.
func (s *memguardAPI) memguardOverview(ctx context.Context) (memguardSection, error) {
	var sec memguardSection
	q, err := s.quarantined(ctx)
	if err != nil {
		return sec, err
	}
	for _, e := range q {
		sec.Quarantined = append(sec.Quarantined, quarantineRow{QuarantineEntry: e, By: quarantinedBy(e.Reason)})
	}
	slices.SortFunc(sec.Quarantined, func(a, b quarantineRow) int { return strings.Compare(a.Name, b.Name) })
	hunts, err := s.store.ListHunts(ctx, "", uiHunts)
	if err != nil {
		return sec, err
	}
	for _, h := range hunts {
		sec.Hunts = append(sec.Hunts, newHuntRow(h))
	}
	return sec, nil
}

// huntPage is /ui/memguard/hunts/:id.
type huntPage struct {
	Title   string
	Refresh bool
	Hunt    huntRow
	Result  memguard.HuntResult
	// Shared names, per candidate, the shared-code leaks it reaches.
	Shared map[string][]string
}

// uiHunt shows one stored hunt: the verdict on each candidate, its top
// growth and leaking sites, and the shared-code leaks with the models
// that reach them.
func (s *memguardAPI) uiHunt(c *gin.Context) {
	h, err := s.store.GetHunt(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.uiFail(c, err)
		return
	}
	page := huntPage{Title: "Leak hunt " + h.ID, Hunt: newHuntRow(h), Shared: map[string][]string{}}
	if err := record.Hunt.Decode(h.Body, &page.Result); err != nil {
		s.uiFail(c, errors.Join(errors.New("hunt "+h.ID+" unreadable"), err))
		return
	}
	for _, sh := range page.Result.Shared {
		for _, m := range sh.Models {
			page.Shared[m] = append(page.Shared[m], sh.Site.Function)
		}
	}
	s.render(c, http.StatusOK, "memguard_hunt.html", page)
}

// huntURL is the dashboard page of hunt id.
func huntURL(id string) template.URL {
	return template.URL("/ui/memguard/hunts/" + url.PathEscape(id))
}

// fmtHuntSeconds shows a hunt's duration.
func fmtHuntSeconds(sec float64) string {
	return (time.Duration(sec * float64(time.Second))).Round(100 * time.Millisecond).String()
}
