package api

import (
	"context"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/forecastd/forecastd/data"
	"github.com/forecastd/forecastd/data/ingest"
	"github.com/forecastd/forecastd/data/sqlstore"
	"github.com/forecastd/forecastd/forecast/hierarchy"
)

// attributeStore is what the attribute endpoints need of the store.
type attributeStore interface {
	SetAttributes(ctx context.Context, attrs []data.Attribute) (sqlstore.AttributeStats, error)
	SeriesAttributes(ctx context.Context, k data.Key) (map[string]string, error)
}

// attributesAPI serves series attributes (issue 18): constant properties
// of a series (an M5-style dept or category, a store's state) by which a
// reconciled job adds levels to its hierarchy.
type attributesAPI struct {
	*v1API
	attrs attributeStore
}

func (s *Server) routesAttributes(v1 *gin.RouterGroup, h *v1API) {
	a := &attributesAPI{v1API: h, attrs: s.store}
	v1.POST("/series/attributes", a.postAttributes)
	v1.GET("/series/:store/:sku/attributes", a.getAttributes)
	v1.GET("/aggregates/:name/:value", a.getAggregate)
}

// postAttributes stores the attributes of an upload (CSV with header
// store,sku and attribute columns, or NDJSON objects), all or nothing: a
// bad identifier or a series given two values of one attribute refuses
// the upload with 400 naming the line. A value replaces the stored one.
func (a *attributesAPI) postAttributes(c *gin.Context) {
	csvParse := func(r io.Reader) ([]data.Attribute, error) { return ingest.ParseAttributesCSV(r) }
	parse := csvParse
	switch contentType(c) {
	case "text/csv":
	case "application/x-ndjson", "application/jsonl", "application/json-seq":
		parse = ingest.ParseAttributesNDJSON
	default:
		problem(c, http.StatusUnsupportedMediaType, "Content-Type "+c.GetHeader("Content-Type")+
			": send text/csv with header store,sku and attribute columns, or application/x-ndjson")
		return
	}
	attrs, err := parse(http.MaxBytesReader(c.Writer, c.Request.Body, a.opts.MaxBodyBytes))
	if err != nil {
		fail(c, err)
		return
	}
	st, err := a.attrs.SetAttributes(c.Request.Context(), attrs)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// getAttributes answers the attributes of a series; 404 when it has no
// sales, plan or attributes.
func (a *attributesAPI) getAttributes(c *gin.Context) {
	k := data.Key{Store: c.Param("store"), SKU: c.Param("sku")}
	m, err := a.attrs.SeriesAttributes(c.Request.Context(), k)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"store": k.Store, "sku": k.SKU, "attributes": m})
}

// getAggregate serves the reconciled forecast of the series whose
// attribute name has value (across stores, or in the store the query
// names), published by a reconciled job under hierarchy.AttributeKey: the
// same as GET /v1/forecasts/{store}/_name=value.
func (a *attributesAPI) getAggregate(c *gin.Context) {
	q := c.Request.URL.Query()
	for p := range q {
		if p != "store" {
			problem(c, http.StatusBadRequest, p+": unknown query parameter (only store)")
			return
		}
	}
	store := q.Get("store")
	if q.Has("store") && store == "" {
		problem(c, http.StatusBadRequest, "store: empty; leave it out for the aggregate across stores")
		return
	}
	a.serveForecast(c, hierarchy.AttributeKey(store, c.Param("name"), c.Param("value")))
}

// contentType is the request's media type without parameters; "" when
// it has none or it does not parse.
func contentType(c *gin.Context) string {
	ct, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		return ""
	}
	return ct
}
