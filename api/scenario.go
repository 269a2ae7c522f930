package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/forecast"
)

// scenarioRequest is the body of POST /v1/forecasts/{store}/{sku}/scenarios:
// changes to the series' plan, each row as a POST /v1/covariates NDJSON
// row of that series (store and sku may be left out).
type scenarioRequest struct {
	Changes []scenarioRow `json:"changes"`
}

type scenarioRow struct {
	Date       string                     `json:"date"`
	Store      *string                    `json:"store,omitempty"`
	SKU        *string                    `json:"sku,omitempty"`
	Covariates map[string]json.RawMessage `json:"covariates"`
}

// fieldError is a bad field of a request body, answered 400 naming it.
type fieldError struct {
	Field, Reason string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Reason }

// scenarioView is the served scenario.
type scenarioView struct {
	*forecast.ScenarioResult
	JobID string `json:"job_id"`
}

func (s *explainAPI) scenario(c *gin.Context) {
	changes, fields, ok := s.scenarioChanges(c)
	if !ok {
		return
	}
	ex, ok := s.load(c)
	if !ok {
		return
	}
	var out *forecast.ScenarioResult
	if !s.run(c, func(ctx context.Context) (err error) {
		out, err = forecast.Scenario(ctx, ex.series, ex.res, ex.kept, s.opts.Registry, changes)
		var se *forecast.ScenarioError
		if errors.As(err, &se) {
			f := fields[se.Index]
			if se.Field == "date" {
				row, _, _ := strings.Cut(f, ".")
				f = row + ".date"
			}
			return &fieldError{Field: f, Reason: se.Reason}
		}
		return err
	}) {
		return
	}
	if len(ex.quarantined) > 0 {
		out.Notes = append(out.Notes, quarantineNote(ex.quarantined))
	}
	c.JSON(http.StatusOK, scenarioView{ScenarioResult: out, JobID: ex.jobID})
}

// scenarioChanges decodes and checks the request body into plan changes
// and, for each, the field that gave it ("changes[2].covariates.promo"),
// answering 400 (or 413) naming the field and false for a bad body.
func (s *explainAPI) scenarioChanges(c *gin.Context) ([]forecast.PlanChange, []string, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxScenarioBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problemLimit(c, http.StatusRequestEntityTooLarge, limitScenarioBody, sizeText(maxScenarioBodyBytes),
				"scenario body larger than "+sizeText(maxScenarioBodyBytes))
			return nil, nil, false
		}
		fail(c, err)
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req scenarioRequest
	if err := dec.Decode(&req); err != nil {
		problem(c, http.StatusBadRequest, "invalid scenario body: "+err.Error())
		return nil, nil, false
	}
	if dec.More() {
		problem(c, http.StatusBadRequest, "invalid scenario body: data after the JSON object")
		return nil, nil, false
	}
	changes, fields, err := planChanges(req, c.Param("store"), c.Param("sku"))
	var fe *fieldError
	switch {
	case errors.As(err, &fe) && fe.Field == "changes" && len(req.Changes) > maxScenarioChanges:
		problemLimit(c, http.StatusBadRequest, limitScenarioChanges, maxScenarioChanges, fe.Error())
		return nil, nil, false
	case err != nil:
		problem(c, http.StatusBadRequest, err.Error())
		return nil, nil, false
	}
	return changes, fields, true
}

// planChanges flattens the rows into one change per (date, covariate),
// in row order and, within a row, by name.
func planChanges(req scenarioRequest, store, sku string) ([]forecast.PlanChange, []string, error) {
	if len(req.Changes) == 0 {
		return nil, nil, &fieldError{Field: "changes", Reason: "no changes: give at least one row {\"date\": ..., \"covariates\": {...}}"}
	}
	if len(req.Changes) > maxScenarioChanges {
		return nil, nil, &fieldError{Field: "changes", Reason: fmt.Sprintf("%d rows, more than the %d a scenario may change", len(req.Changes), maxScenarioChanges)}
	}
	var changes []forecast.PlanChange
	var fields []string
	for i, row := range req.Changes {
		at := "changes[" + strconv.Itoa(i) + "]"
		if row.Store != nil && *row.Store != store {
			return nil, nil, &fieldError{Field: at + ".store", Reason: fmt.Sprintf("%q is not this series' store %q", *row.Store, store)}
		}
		if row.SKU != nil && *row.SKU != sku {
			return nil, nil, &fieldError{Field: at + ".sku", Reason: fmt.Sprintf("%q is not this series' SKU %q", *row.SKU, sku)}
		}
		if row.Date == "" {
			return nil, nil, &fieldError{Field: at + ".date", Reason: "missing"}
		}
		date, err := ingest.ParseDate(row.Date)
		if err != nil {
			return nil, nil, &fieldError{Field: at + ".date", Reason: err.Error()}
		}
		if len(row.Covariates) == 0 {
			return nil, nil, &fieldError{Field: at + ".covariates", Reason: "missing or empty: name at least one covariate and its value"}
		}
		names := make([]string, 0, len(row.Covariates))
		for name := range row.Covariates {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			f := at + ".covariates." + name
			if err := ingest.CheckCovariateName(name); err != nil {
				return nil, nil, &fieldError{Field: f, Reason: err.Error()}
			}
			v, err := scenarioValue(row.Covariates[name])
			if err != nil {
				return nil, nil, &fieldError{Field: f, Reason: err.Error()}
			}
			changes = append(changes, forecast.PlanChange{Date: date, Name: name, Value: v})
			fields = append(fields, f)
		}
	}
	return changes, fields, nil
}

// scenarioValue reads a covariate value: a JSON number within the
// magnitude uploads accept.
func scenarioValue(raw json.RawMessage) (float64, error) {
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return 0, fmt.Errorf("want a number, got %s", raw)
	}
	if v > ingest.MaxMagnitude || v < -ingest.MaxMagnitude {
		return 0, fmt.Errorf("%v is beyond the %g an upload accepts", v, ingest.MaxMagnitude)
	}
	return v, nil
}
