package api

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/jobs"
	"github.com/gin-gonic/gin"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Errors []ingest.RowError `json:"errors,omitempty"`
	// Limit names the limit a request went past, and its value.
	Limit *LimitInfo `json:"limit,omitempty"`
}

func problem(c *gin.Context, status int, detail string) {
	writeProblem(c, Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
}

func writeProblem(c *gin.Context, p Problem) {
	b, err := json.Marshal(p)
	if err != nil {
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"encoding the problem failed"}`)
		p.Status = http.StatusInternalServerError
	}
	c.Data(p.Status, "application/problem+json", b)
	c.Abort()
}

// fail maps an error from the layers below to a status.
func fail(c *gin.Context, err error) {
	var pe *ingest.ParseError
	var mbe *http.MaxBytesError
	var qfe *jobs.QueueFullError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		writeProblem(c, Problem{Type: "about:blank", Title: "Invalid " + pe.What(), Status: http.StatusBadRequest,
			Detail: pe.Error(), Errors: pe.Errors})
	case errors.As(err, &mbe):
		name := limitBody
		if c.FullPath() == "/v1/jobs" {
			name = limitJobBody
		}
		problemLimit(c, http.StatusRequestEntityTooLarge, name, mbe.Limit, "request body larger than "+itoa(mbe.Limit)+" bytes")
	case errors.As(err, &ne) && ne.Timeout():
		problemLimit(c, http.StatusRequestTimeout, limitBodyRead, c.GetDuration(bodyReadTimeoutKey), "request body not received in time")
	case errors.As(err, &qfe):
		c.Header("Retry-After", strconv.Itoa(int(queueFullRetry/time.Second)))
		problemLimit(c, http.StatusTooManyRequests, limitActiveJobs, qfe.Limit, qfe.Error()+"; retry later")
	case errors.Is(err, sqlstore.ErrNotFound):
		problem(c, http.StatusNotFound, err.Error())
	case errors.Is(err, sqlstore.ErrUnassemblable):
		problem(c, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, sqlstore.ErrBusy):
		// Contention outlasted the store's retries: the client may retry.
		c.Header("Retry-After", "1")
		problem(c, http.StatusServiceUnavailable, "database busy, retry: "+err.Error())
	case errors.Is(err, c.Request.Context().Err()) && c.Request.Context().Err() != nil:
		problem(c, http.StatusServiceUnavailable, "request cancelled: "+err.Error())
	default:
		problem(c, http.StatusInternalServerError, err.Error())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
