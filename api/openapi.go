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
// fails the build.

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

func openAPIDocument() oaObj {
	limitParam := queryParam("limit", "page size", oaObj{"type": "integer", "minimum": 1, "maximum": maxPage, "default": defaultPage})
	storeParam, skuParam := pathParam("store", "store identifier (URL-escaped)"), pathParam("sku", "SKU identifier (URL-escaped)")
	bad, notFound, internal := problemResp("invalid request"), problemResp("not found"), problemResp("internal error")
	busy := problemResp("too many requests in flight, or starting; retry")
	html := oaObj{"description": "HTML page", "content": oaObj{"text/html": oaObj{"schema": oaObj{"type": "string"}}}}
	htmlNotFound := oaObj{"description": "not found (HTML page)", "content": oaObj{"text/html": oaObj{"schema": oaObj{"type": "string"}}}}
	jobID := pathParam("id", "job ID")
	reportID := pathParam("id", "memguard report ID")

	paths := oaObj{
		"/healthz": oaObj{"get": op("Liveness: the process serves HTTP", "operations").
			respond("200", resp("alive", object(oaObj{"status": str("ok")})))},
		"/readyz": oaObj{"get": op("Readiness: started and the database answers", "operations").
			respond("200", resp("ready", object(oaObj{"status": str("ready")}))).respond("503", busy)},
		"/metrics": oaObj{"get": op("Prometheus metrics (text exposition format)", "operations").
			respond("200", oaObj{"description": "metrics", "content": oaObj{"text/plain": oaObj{"schema": oaObj{"type": "string"}}}})},
		"/openapi.json": oaObj{"get": op("This OpenAPI document", "operations").
			respond("200", resp("OpenAPI 3.0 document", oaObj{"type": "object"}))},
		"/ui": oaObj{"get": op("Dashboard: memory over time, retained bytes per job, jobs, leak reports", "dashboard").
			respond("200", html)},
		"/ui/series": oaObj{"get": op("Dashboard: paged list of series", "dashboard").
			with("parameters", []oaObj{queryParam("store", "only this store", oaObj{"type": "string"}),
				queryParam("after", "cursor from the next-page link", oaObj{"type": "string"})}).
			respond("200", html).respond("400", oaObj{"description": "bad cursor (HTML page)"})},
		"/ui/series/{store}/{sku}": oaObj{"get": op("Dashboard: history, forecast with 80%/95% bands, kept models and leaderboard of one series", "dashboard").
			with("parameters", []oaObj{storeParam, skuParam}).
			respond("200", html).respond("404", htmlNotFound)},

		"/v1/sales": oaObj{"post": op("Upload sales history (streamed; rows upsert by date, store, sku)", "data").
			with("requestBody", oaObj{"required": true, "content": oaObj{
				"text/csv": oaObj{"schema": oaObj{"type": "string", "description": "CSV with header date,store,sku,quantity; extra numeric columns are covariates"},
					"example": "date,store,sku,quantity,promo\n2026-01-01,S01,SKU001,12,0\n"},
				"application/x-ndjson": oaObj{"schema": ref("SalesRow"),
					"example": `{"date":"2026-01-01","store":"S01","sku":"SKU001","quantity":12}`},
			}}).
			respond("200", resp("ingested", ref("IngestStats"))).respond("400", problemResp("invalid rows (errors lists them)")).
			respond("413", problemResp("body too large")).respond("415", problemResp("unsupported Content-Type"))},
		"/v1/covariates": oaObj{"post": op("Upload covariate values known in advance (promotions, prices) for dates after the last sale; streamed, all or nothing", "data").
			with("description", "Values upsert by (store, sku, date, covariate), so separate uploads of different covariates keep each other. "+
				"Training extends each series' covariate columns past its last sale with them (up to 1000 steps ahead); "+
				"a covariate is given to the candidates only when it is planned for every step of the job's horizon. "+
				"Within the history, a value recorded with the sale wins over a planned one.").
			with("requestBody", oaObj{"required": true, "content": oaObj{
				"text/csv": oaObj{"schema": oaObj{"type": "string", "description": "CSV with header date,store,sku and 1 to 64 covariate columns (names lower-cased, as in sales uploads), no quantity; an empty cell is a value not given"},
					"example": "date,store,sku,promo\n2026-11-01,S01,SKU001,1\n2026-11-02,S01,SKU001,0\n"},
				"application/x-ndjson": oaObj{"schema": ref("CovariateRow"),
					"example": `{"date":"2026-11-01","store":"S01","sku":"SKU001","covariates":{"promo":1}}`},
			}}).
			respond("200", resp("stored", ref("IngestStats"))).respond("400", problemResp("invalid rows (errors lists them)")).
			respond("413", problemResp("body too large")).respond("415", problemResp("unsupported Content-Type"))},
		"/v1/series": oaObj{"get": op("List stored series", "data").
			with("parameters", []oaObj{limitParam, queryParam("store", "only this store", oaObj{"type": "string"}),
				queryParam("after", "cursor (use next)", oaObj{"type": "string"})}).
			respond("200", resp("a page of series", paged(ref("SeriesInfo")))).respond("400", bad)},
		"/v1/series/{store}/{sku}/leaderboard": oaObj{"get": op("Every candidate's backtest result for a series", "forecasts").
			with("parameters", []oaObj{storeParam, skuParam}).
			respond("200", resp("leaderboard", ref("Leaderboard"))).respond("404", notFound)},
		"/v1/series/{store}/{sku}/covariates": oaObj{
			"get": op("The planned covariate values of a series, by covariate name, sorted by date", "data").
				with("description", "What POST /v1/covariates stored for the series, including dates before its last sale or beyond the 1000 steps a job reads. "+
					"Dates are YYYY-MM-DD, with the time of day (YYYY-MM-DDTHH:MM:SS) when they have one. "+
					"404 when the series has neither sales nor planned values; a series with sales and no plan answers an empty covariates object.").
				with("parameters", planParams(storeParam, skuParam, "only this covariate")).
				respond("200", resp("the plan", ref("Plan"))).respond("400", bad).respond("404", notFound),
			"delete": op("Delete planned covariate values of a series: all, or one covariate's, or those in a date range", "data").
				with("description", "One transaction. Unknown query parameters are refused, so a misspelt filter cannot delete the whole plan. "+
					"Published forecasts are unchanged; the next training or refresh job reads the plan as it is then. "+
					"To cancel one promotion, upload 0 for its date instead: a covariate missing on any step of a job's horizon is not used at all.").
				with("parameters", planParams(storeParam, skuParam, "delete only this covariate's values")).
				respond("200", resp("deleted", ref("PlanDeleted"))).respond("400", bad).respond("404", notFound),
		},
		"/v1/jobs": oaObj{
			"post": op("Queue a training or refresh job", "jobs").
				with("parameters", []oaObj{{"name": "X-Request-ID", "in": "header", "required": false,
					"description": "stored on the job; generated when absent", "schema": oaObj{"type": "string", "maxLength": maxRequestID}}}).
				with("requestBody", oaObj{"required": true, "content": jsonContent(ref("JobRequest"))}).
				respond("202", resp("queued; Location names the job", object(oaObj{"id": str(""), "state": str(""), "kind": str("")}))).
				respond("400", bad),
			"get": op("List jobs, newest first", "jobs").
				with("parameters", []oaObj{limitParam,
					queryParam("state", "only jobs in this state", oaObj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed", "cancelled"}}),
					queryParam("before", "cursor (use next)", oaObj{"type": "string"})}).
				respond("200", resp("a page of jobs", paged(ref("Job")))).respond("400", bad),
		},
		"/v1/jobs/{id}": oaObj{
			"get": op("A job's state, progress and memory summary", "jobs").with("parameters", []oaObj{jobID}).
				respond("200", resp("job", ref("Job"))).respond("404", notFound),
			"delete": op("Cancel a job", "jobs").with("parameters", []oaObj{jobID}).
				respond("200", resp("the job, cancelled", ref("Job"))).respond("404", notFound).respond("409", problemResp("job already finished")),
		},
		"/v1/forecasts/{store}/{sku}": oaObj{"get": op("The published forecast of a series", "forecasts").
			with("parameters", []oaObj{storeParam, skuParam}).
			respond("200", resp("forecast", ref("Forecast"))).respond("404", notFound)},
		"/v1/models": oaObj{"get": op("The candidate models and their default hyperparameters", "forecasts").
			respond("200", resp("models", items(ref("ModelInfo"))))},
		"/v1/schedules": oaObj{"get": op("Scheduled jobs and their next run", "jobs").
			respond("200", resp("schedules", items(object(oaObj{"name": str(""), "cron": str("cron expression"), "kind": str("train or refresh"),
				"horizon": integer(), "next_run": oaObj{"type": "string", "format": "date-time"}}, "name", "cron", "kind", "next_run"))))},
		"/v1/memguard/reports": oaObj{"get": op("Memory reports of guarded runs, latest first", "memguard").
			respond("200", resp("reports", items(ref("MemReportSummary"))))},
		"/v1/memguard/reports/{id}": oaObj{"get": op("One memory report with allocation sites and leaked goroutines", "memguard").
			with("parameters", []oaObj{reportID}).
			respond("200", resp("report", ref("MemReport"))).respond("404", notFound)},
		"/v1/memguard/reports/{id}/heap.pb.gz": oaObj{"get": op("Heap diff profile of a run (go tool pprof)", "memguard").
			with("parameters", []oaObj{reportID}).
			respond("200", oaObj{"description": "pprof profile", "content": oaObj{"application/octet-stream": oaObj{"schema": oaObj{"type": "string", "format": "binary"}}}}).
			respond("404", notFound)},
		"/v1/memguard/quarantine": oaObj{"get": op("Models quarantined for leaking", "memguard").
			respond("200", resp("quarantine list", items(ref("QuarantineEntry"))))},
		"/v1/memguard/quarantine/{model}": oaObj{"delete": op("Release a model from quarantine", "memguard").
			with("parameters", []oaObj{pathParam("model", "model name")}).
			respond("204", oaObj{"description": "released"}).respond("404", notFound)},
	}
	// Every route may also answer 500 with a problem document, and 503
	// when the in-flight limit is reached.
	for _, methods := range paths {
		for _, o := range methods.(oaObj) {
			o.(oaObj).respond("500", internal)
			o.(oaObj).respond("503", busy)
		}
	}

	metrics := object(oaObj{"mae": nullNumber(), "rmse": nullNumber(), "mape": nullNumber(), "smape": nullNumber(),
		"mase": nullNumber(), "rmsse": nullNumber(), "wape": nullNumber(), "bias": nullNumber()})
	metrics["description"] = "backtest accuracy; null where undefined (MAPE over all-zero actuals)"
	schemas := oaObj{
		"Problem": object(oaObj{"type": str("URI of the problem type; about:blank"), "title": str(""), "status": integer(),
			"detail": str("what went wrong, for a person"),
			"errors": array(object(oaObj{"line": integer(), "column": str("the column or field at fault, when one is"),
				"reason": str("")}, "line", "reason"))}, "type", "title", "status"),
		"SalesRow": object(oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hourly data"), "store": str(""), "sku": str(""),
			"quantity": number(), "covariates": oaObj{"type": "object", "additionalProperties": number(),
				"description": "optional covariate values recorded with the sale, by name"}}, "date", "store", "sku", "quantity"),
		"CovariateRow": object(oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hourly data"), "store": str(""), "sku": str(""),
			"covariates": oaObj{"type": "object", "additionalProperties": number(), "minProperties": 1,
				"description": "covariate name to value; names as in the sales upload"}}, "date", "store", "sku", "covariates"),
		"IngestStats": object(oaObj{"rows": integer(), "series": integer()}),
		"Plan": object(oaObj{"store": str(""), "sku": str(""),
			"covariates": oaObj{"type": "object", "description": "covariate name to its planned values, sorted by date",
				"additionalProperties": array(object(oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for a time of day"),
					"value": number()}, "date", "value"))}}, "store", "sku", "covariates"),
		"PlanDeleted": object(oaObj{"store": str(""), "sku": str(""), "deleted": oaObj{"type": "integer", "description": "planned values deleted"}},
			"store", "sku", "deleted"),
		"SeriesInfo": object(oaObj{"store": str(""), "sku": str(""), "rows": integer(),
			"first_date": oaObj{"type": "string", "format": "date-time"}, "last_date": oaObj{"type": "string", "format": "date-time"}}),
		"JobRequest": object(oaObj{
			"kind":             oaObj{"type": "string", "enum": []string{"train", "refresh"}, "default": "train"},
			"horizon":          oaObj{"type": "integer", "minimum": 1, "maximum": 1000, "description": "steps to forecast"},
			"top_k":            oaObj{"type": "integer", "minimum": 1, "maximum": 20, "default": 5, "description": "models kept in the combination"},
			"backtest_windows": oaObj{"type": "integer", "minimum": 1, "maximum": 20, "default": 3, "description": "rolling-origin folds"},
			"step":             oaObj{"type": "integer", "minimum": 1, "maximum": 1000, "description": "steps between fold origins; default the horizon"},
			"season":           oaObj{"type": "integer", "minimum": 0, "maximum": 1000, "description": "season length; 0 infers it from the frequency"},
			"metric":           oaObj{"type": "string", "enum": []string{"mase", "mae", "rmse", "mape", "smape", "rmsse", "wape"}, "default": "mase"},
			"combine":          oaObj{"type": "string", "enum": []string{"inverse", "mean", "median"}, "default": "inverse"},
			"stores":           array(oaObj{"type": "string"}),
			"skus":             array(oaObj{"type": "string"}),
			"models":           oaObj{"type": "array", "items": oaObj{"type": "string"}, "description": "candidate names (GET /v1/models); default the default tournament"},
			"partition_by":     oaObj{"type": "string", "enum": []string{"series", "store"}, "default": "series", "description": "how a job fans out to workers (PostgreSQL backend)"},
			"partition_size":   oaObj{"type": "integer", "minimum": 0, "maximum": 100000, "description": "series per partition; 0 takes the worker's default"},
		}, "horizon"),
		"Job": object(oaObj{"id": str(""), "kind": str(""), "state": oaObj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed", "cancelled"}},
			"params": ref("JobRequest"), "progress": oaObj{"type": "number", "minimum": 0, "maximum": 1},
			"series_total": integer(), "series_done": integer(),
			"created_at": oaObj{"type": "string", "format": "date-time"}, "started_at": oaObj{"type": "string", "format": "date-time"},
			"finished_at": oaObj{"type": "string", "format": "date-time"}, "error": str(""),
			"eta_seconds": oaObj{"type": "number", "description": "estimated seconds left, while running"},
			"phases":      object(oaObj{"load_seconds": number(), "train_seconds": number(), "publish_seconds": number()}),
			"memory": object(oaObj{"report_id": str(""), "heap_live_before": integer(), "heap_live_after": integer(),
				"retained_bytes": integer(), "rss_before": integer(), "rss_after": integer(),
				"goroutines_before": integer(), "goroutines_after": integer(),
				"verdict": oaObj{"type": "string", "enum": []string{"clean", "suspect", "leak"}}, "reason": str(""),
				"slope_bytes_per_run": number(), "worker": str("the process whose memguard made the report")}),
			"request_id": str("X-Request-ID of the request that created it")}),
		"Metrics": metrics,
		"Point": object(oaObj{"date": str(""), "value": number(), "lower": number(), "upper": number(),
			"lower_95": number(), "upper_95": number()}),
		"KeptModel": object(oaObj{"name": str(""), "weight": number(), "backtest": ref("Metrics")}),
		"Forecast": object(oaObj{"store": str(""), "sku": str(""), "job_id": str(""), "generated_at": oaObj{"type": "string", "format": "date-time"},
			"horizon": integer(), "freq": oaObj{"type": "string", "enum": []string{"hourly", "daily", "weekly", "monthly"}},
			"points": array(ref("Point")), "models": array(ref("KeptModel")),
			"covariates": oaObj{"type": "array", "items": oaObj{"type": "string"},
				"description": "covariates planned over the whole horizon, which the candidates were given (POST /v1/covariates); absent when none"},
			"fallback": str("why the tournament was skipped, when it was")}),
		"Leaderboard": object(oaObj{"store": str(""), "sku": str(""), "job_id": str(""), "metric": str(""), "combine": str(""),
			"combination": ref("Metrics"), "coverage_80": nullNumber(), "coverage_95": nullNumber(),
			"items": array(object(oaObj{"name": str(""), "family": str(""), "rank": integer(), "kept": oaObj{"type": "boolean"},
				"backtest": ref("Metrics"), "folds": integer(), "error": str(""), "seconds": number()}))}),
		"ModelInfo": object(oaObj{"name": str(""), "family": str(""), "doc": str(""), "default": oaObj{"type": "boolean"},
			"params": oaObj{"type": "object"}}),
		"MemReportSummary": object(oaObj{"id": str(""), "kind": str(""), "started": oaObj{"type": "string", "format": "date-time"},
			"finished": oaObj{"type": "string", "format": "date-time"}, "retained_bytes": integer(), "heap_live_after": integer(),
			"verdict": oaObj{"type": "string", "enum": []string{"clean", "suspect", "leak"}}, "reason": str(""),
			"sites": integer(), "leaked_goroutines": integer()}),
		"MemReport":       oaObj{"type": "object", "description": "memguard.Report: heap, Go memory, RSS and goroutines before and after, top_growth allocation sites, leaked goroutines and the verdict"},
		"QuarantineEntry": object(oaObj{"name": str(""), "reason": str(""), "since": oaObj{"type": "string", "format": "date-time"}}),
	}
	return oaObj{
		"openapi": "3.0.3",
		"info": oaObj{"title": "forecastd", "version": "1",
			"description": "Retail demand forecasting: upload sales history per store/SKU, queue training jobs that rank ~20 candidate models by rolling-origin backtests and combine the best, and read forecasts with 80% and 95% intervals. Errors are application/problem+json (RFC 9457). Every response carries X-Request-ID."},
		"paths":      paths,
		"components": oaObj{"schemas": schemas},
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
