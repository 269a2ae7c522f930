package api

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// The OpenAPI document is built in code from small helpers rather than
// kept as a hand-edited JSON file: the shared schemas (problem, job,
// forecast) are written once, and TestOpenAPICoversRoutes checks the
// document against the router, so a route added without documentation
// fails the build. kin-openapi, an independent implementation, validates
// the document (TestOpenAPIValidates) and every request and response of
// the API tests against it (openapi_transport_test.go), so a status,
// field or media type the handlers give and the document lacks fails too.

type oaObj map[string]any

func ref(name string) oaObj { return oaObj{"$ref": "#/components/schemas/" + name} }

func jsonContent(schema oaObj) oaObj {
	return oaObj{"application/json": oaObj{"schema": schema}}
}

func resp(desc string, schema oaObj) oaObj {
	r := oaObj{"description": desc}
	if schema != nil {
		r["content"] = jsonContent(schema)
	}
	return r
}

// problemResp is an error response with the RFC 9457 body.
func problemResp(desc string) oaObj {
	return oaObj{"description": desc, "content": oaObj{"application/problem+json": oaObj{"schema": ref("Problem")}}}
}

func pathParam(name, desc string) oaObj {
	return oaObj{"name": name, "in": "path", "required": true, "description": desc, "schema": oaObj{"type": "string"}}
}

func queryParam(name, desc string, schema oaObj) oaObj {
	return oaObj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func str(desc string) oaObj  { return oaObj{"type": "string", "description": desc} }
func integer() oaObj         { return oaObj{"type": "integer"} }
func number() oaObj          { return oaObj{"type": "number"} }
func nullNumber() oaObj      { return oaObj{"type": "number", "nullable": true} }
func array(item oaObj) oaObj { return oaObj{"type": "array", "items": item} }
func object(props oaObj, required ...string) oaObj {
	o := oaObj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func items(item oaObj) oaObj { return object(oaObj{"items": array(item)}, "items") }
func paged(item oaObj) oaObj {
	return object(oaObj{"items": array(item), "next": oaObj{"type": "string", "nullable": true,
		"description": "URL of the next page, null on the last"}}, "items", "next")
}

// planParams are the parameters of the plan endpoints.
func planParams(store, sku oaObj, nameDesc string) []oaObj {
	date := oaObj{"type": "string", "example": "2026-11-01"}
	return []oaObj{store, sku, queryParam("name", nameDesc, oaObj{"type": "string"}),
		queryParam("from", "first date, inclusive (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)", date),
		queryParam("to", "last date, inclusive; a date without a time of day covers the whole day", date)}
}

func op(summary string, tags ...string) oaObj {
	return oaObj{"summary": summary, "tags": tags, "responses": oaObj{}}
}

func (o oaObj) with(k string, v any) oaObj { o[k] = v; return o }
func (o oaObj) respond(code string, r oaObj) oaObj {
	o["responses"].(oaObj)[code] = r
	return o
}

// openAPIDocument is the whole document: the paths (openapi_paths.go)
// and the shared schemas (openapi_schemas.go).
func openAPIDocument() oaObj {
	return oaObj{
		"openapi": "3.0.3",
		"info": oaObj{"title": "forecastd", "version": "1",
			"description": "Retail demand forecasting: upload sales history per store/SKU, queue training jobs that rank ~20 candidate models by rolling-origin backtests and combine the best, and read forecasts with 80% and 95% intervals. Errors are application/problem+json (RFC 9457). Every response carries X-Request-ID."},
		"paths": openAPIPaths(),
		"components": oaObj{"schemas": openAPISchemas(), "securitySchemes": oaObj{"bearer": oaObj{"type": "http", "scheme": "bearer",
			"description": "A token of FORECASTD_API_TOKENS. With no tokens configured the server is open (loopback only, unless -insecure); " +
				"with FORECASTD_PUBLIC_READS, GET requests need none. /healthz, /readyz and /metrics never need one."}}},
		"security": []oaObj{{"bearer": []string{}}},
	}
}

// openAPIJSON is the document, marshalled once on first use.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) { return json.MarshalIndent(openAPIDocument(), "", "  ") })

func (s *Server) openAPI(c *gin.Context) {
	b, err := openAPIJSON()
	if err != nil {
		problem(c, http.StatusInternalServerError, "encoding the OpenAPI document: "+err.Error())
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}
