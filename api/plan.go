package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
)

// The plan endpoints read back and withdraw what POST /v1/covariates
// stored for one series: GET /v1/series/{store}/{sku}/covariates and
// DELETE on the same path, both narrowed by name, from and to.

// planQueryParams are the query parameters of the plan endpoints. Any other is
// refused rather than ignored: a DELETE with a misspelt filter
// (?names=promo) would otherwise delete the whole plan.
var planQueryParams = []string{"name", "from", "to"}

// planFilter reads the plan endpoints' query, answering 400 and false for
// a bad one. from and to are inclusive; a to without a time of day covers
// that whole day, so to=2026-11-30 keeps the hours of an hourly plan.
func planFilter(c *gin.Context) (sqlstore.PlanFilter, bool) {
	return queryFilter(c, planQueryParams)
}

// queryFilter reads name (when allowed lists it), from and to as
// planFilter does, refusing any parameter allowed does not list.
func queryFilter(c *gin.Context, allowed []string) (sqlstore.PlanFilter, bool) {
	q := c.Request.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			problem(c, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q: want %s", k, oneOf(allowed)))
			return sqlstore.PlanFilter{}, false
		}
		if len(q[k]) > 1 {
			problem(c, http.StatusBadRequest, fmt.Sprintf("query parameter %q given %d times: want it once", k, len(q[k])))
			return sqlstore.PlanFilter{}, false
		}
	}
	var f sqlstore.PlanFilter
	if v, ok := q["name"]; ok {
		if err := ingest.CheckCovariateName(v[0]); err != nil {
			problem(c, http.StatusBadRequest, "name: "+err.Error())
			return sqlstore.PlanFilter{}, false
		}
		f.Name = v[0]
	}
	if v, ok := q["from"]; ok {
		t, err := ingest.ParseDate(v[0])
		if err != nil {
			problem(c, http.StatusBadRequest, "from: "+err.Error())
			return sqlstore.PlanFilter{}, false
		}
		f.From = t
	}
	if v, ok := q["to"]; ok {
		t, err := ingest.ParseDate(v[0])
		if err != nil {
			problem(c, http.StatusBadRequest, "to: "+err.Error())
			return sqlstore.PlanFilter{}, false
		}
		// Stored dates are whole seconds.
		f.Until = t.Add(time.Second)
		if len(v[0]) == len(ingest.DateLayout) {
			f.Until = t.AddDate(0, 0, 1)
		}
		if !f.From.IsZero() && !f.From.Before(f.Until) {
			problem(c, http.StatusBadRequest, fmt.Sprintf("to %s is before from %s", v[0], q.Get("from")))
			return sqlstore.PlanFilter{}, false
		}
	}
	return f, true
}

// oneOf lists names as "a, b or c".
func oneOf(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// appendPlanDate appends a planned date as uploads accept it: YYYY-MM-DD, with
// the time of day when it has one.
func appendPlanDate(b []byte, t time.Time) []byte {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.AppendFormat(b, ingest.DateLayout)
	}
	return t.AppendFormat(b, ingest.DateTimeLayout)
}

// planFlushBytes is how much of a plan response is gathered before it is
// written out.
const planFlushBytes = 32 << 10

// getPlan answers {"store", "sku", "covariates": {name: [{date, value}]}},
// values by date. The body is written while the rows are read, so a large
// plan costs no memory; should the read fail part way, the body is left
// without its closing brackets, which no JSON decoder accepts, and the
// error is logged.
func (s *v1API) getPlan(c *gin.Context) {
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	f, ok := planFilter(c)
	if !ok {
		return
	}
	prefix, err := planHead(k)
	if err != nil {
		fail(c, err)
		return
	}
	head := func(b []byte) []byte { return append(b, prefix...) }
	var b []byte
	started, name := false, ""
	write := func() error {
		_, err := c.Writer.Write(b)
		b = b[:0]
		return err
	}
	err = s.store.Plan(c.Request.Context(), k, f, func(v sqlstore.PlannedValue) error {
		if !started {
			c.Header("Content-Type", "application/json; charset=utf-8")
			c.Status(http.StatusOK)
			b, started = head(b), true
		}
		if v.Name != name {
			if name != "" {
				b = append(b, "],"...)
			}
			n, err := json.Marshal(v.Name)
			if err != nil {
				return fmt.Errorf("api: covariate name %q: %w", v.Name, err)
			}
			b = append(append(b, n...), ":["...)
			name = v.Name
		} else {
			b = append(b, ',')
		}
		b = append(b, `{"date":"`...)
		b = appendPlanDate(b, v.Date)
		b = append(b, `","value":`...)
		b = strconv.AppendFloat(b, v.Value, 'g', -1, 64) // finite: uploads refuse NaN and Inf
		b = append(b, '}')
		if len(b) >= planFlushBytes {
			return write()
		}
		return nil
	})
	switch {
	case err != nil && !started:
		fail(c, err)
		return
	case err != nil:
		if werr := write(); werr != nil {
			err = errors.Join(err, werr)
		}
		s.log.Warn("plan response cut short", "series", k.String(), "err", err, "request_id", c.GetHeader(requestIDHeader))
		return
	case !started:
		c.Header("Content-Type", "application/json; charset=utf-8")
		c.Status(http.StatusOK)
		b = head(b)
	case name != "":
		b = append(b, ']')
	}
	b = append(b, "}}"...)
	if err := write(); err != nil {
		s.log.Warn("plan response cut short", "series", k.String(), "err", err, "request_id", c.GetHeader(requestIDHeader))
	}
}

// planHead is the start of a plan response, up to its covariates.
func planHead(k data.Key) ([]byte, error) {
	st, err := json.Marshal(k.Store)
	if err != nil {
		return nil, fmt.Errorf("api: store %q: %w", k.Store, err)
	}
	sku, err := json.Marshal(k.SKU)
	if err != nil {
		return nil, fmt.Errorf("api: sku %q: %w", k.SKU, err)
	}
	b := append([]byte(`{"store":`), st...)
	b = append(b, `,"sku":`...)
	b = append(b, sku...)
	return append(b, `,"covariates":{`...), nil
}

// deletePlan withdraws planned values of a series (all of them, or those
// name, from and to select) and answers how many were deleted. The next
// job reads the plan as it is then; published forecasts are unchanged.
func (s *v1API) deletePlan(c *gin.Context) {
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	f, ok := planFilter(c)
	if !ok {
		return
	}
	n, err := s.store.DeletePlan(c.Request.Context(), k, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"store": k.Store, "sku": k.SKU, "deleted": n})
}
