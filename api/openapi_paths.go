package api

// The paths of the OpenAPI document, one function per resource group.
// openAPIPaths merges them and adds the responses every route may give.

// Parameters and responses shared by several groups.

func limitParam() oaObj {
	return queryParam("limit", "page size", oaObj{"type": "integer", "minimum": 1, "maximum": maxPage, "default": defaultPage})
}
func storeParam() oaObj    { return pathParam("store", "store identifier (URL-escaped)") }
func skuParam() oaObj      { return pathParam("sku", "SKU identifier (URL-escaped)") }
func jobIDParam() oaObj    { return pathParam("id", "job ID") }
func reportIDParam() oaObj { return pathParam("id", "memguard report ID") }

func badRequest() oaObj { return problemResp("invalid request") }

// withRetryAfter documents the Retry-After header of a refusal.
func withRetryAfter(r oaObj) oaObj {
	r["headers"] = oaObj{"Retry-After": oaObj{"description": "seconds to wait before retrying",
		"schema": oaObj{"type": "integer"}}}
	return r
}
func notFound() oaObj { return problemResp("not found") }
func busy() oaObj     { return problemResp("too many requests in flight, or starting; retry") }

func htmlResp(desc string) oaObj {
	return oaObj{"description": desc, "content": oaObj{"text/html": oaObj{"schema": oaObj{"type": "string"}}}}
}

// uiErrorResp is an error of the dashboard (uiError): an HTML page, or the
// problem document for a client whose Accept names JSON.
func uiErrorResp(desc string) oaObj {
	r := htmlResp(desc + " (HTML page, or a problem document when Accept names JSON)")
	r["content"].(oaObj)["application/problem+json"] = oaObj{"schema": ref("Problem")}
	return r
}

// openAPIPaths is the paths object of the document.
func openAPIPaths() oaObj {
	paths := oaObj{}
	for _, group := range []oaObj{operationsPaths(), dashboardPaths(), dataPaths(), jobsPaths(), forecastsPaths(), memguardPaths(), explainPaths(), accuracyPaths(), attributePaths()} {
		for p, item := range group {
			paths[p] = item
		}
	}
	// Every route may also answer 500 with a problem document, and 503
	// when the in-flight limit is reached; every route but the probes and
	// metrics (openPaths) answers 401 without a valid token when the
	// server has tokens.
	internal, unavailable := problemResp("internal error"), busy()
	unauthorized := problemResp("missing or invalid bearer token, when the server has tokens (GET may be public)")
	for p, methods := range paths {
		for _, o := range methods.(oaObj) {
			o.(oaObj).respondUnlessSet("500", internal)
			o.(oaObj).respondUnlessSet("503", unavailable)
			if openPaths[p] {
				o.(oaObj).with("security", []oaObj{})
			} else {
				o.(oaObj).respond("401", unauthorized)
			}
		}
	}
	return paths
}

// respondUnlessSet adds a response the operation does not already give.
func (o oaObj) respondUnlessSet(code string, r oaObj) oaObj {
	if _, ok := o["responses"].(oaObj)[code]; !ok {
		o.respond(code, r)
	}
	return o
}

// operationsPaths are the probes, metrics and this document.
func operationsPaths() oaObj {
	return oaObj{
		"/healthz": oaObj{"get": op("Liveness: the process serves HTTP", "operations").
			respond("200", resp("alive", object(oaObj{"status": str("ok")})))},
		"/readyz": oaObj{"get": op("Readiness: started and the database answers", "operations").
			respond("200", resp("ready", object(oaObj{"status": str("ready")}))).respond("503", busy())},
		"/metrics": oaObj{"get": op("Prometheus metrics (text exposition format)", "operations").
			respond("200", oaObj{"description": "metrics", "content": oaObj{"text/plain": oaObj{"schema": oaObj{"type": "string"}}}})},
		"/openapi.json": oaObj{"get": op("This OpenAPI document", "operations").
			respond("200", resp("OpenAPI 3.0 document", oaObj{"type": "object"}))},
	}
}

// dashboardPaths are the HTML pages. Their errors are pages too, except
// for clients that ask for JSON and for the edge's refusals (401, and 503
// at the in-flight limit), which are problem documents.
func dashboardPaths() oaObj {
	page := func(summary string) oaObj {
		return op(summary, "dashboard").respond("200", htmlResp("HTML page")).
			respond("500", uiErrorResp("internal error")).respond("503", uiErrorResp("too many requests in flight, or starting, or the request was cancelled; retry"))
	}
	return oaObj{
		"/ui": oaObj{"get": page("Dashboard: memory over time, retained bytes per job, jobs, leak reports, quarantined models and leak hunts")},
		"/ui/series": oaObj{"get": page("Dashboard: paged list of series").
			with("parameters", []oaObj{queryParam("store", "only this store", oaObj{"type": "string"}),
				queryParam("after", "cursor from the next-page link", oaObj{"type": "string"})}).
			respond("400", uiErrorResp("bad cursor"))},
		"/ui/series/{store}/{sku}": oaObj{"get": page("Dashboard: history, forecast with 80%/95% bands, kept models and leaderboard of one series").
			with("parameters", append([]oaObj{storeParam(), skuParam()}, scenarioFormParams()...)).
			respond("400", htmlResp("the page, its scenario refused with the reason (a bad scenario form)")).
			respond("404", uiErrorResp("not found")).
			respond("422", uiErrorResp("the series would load more than max_read_points values (the problem's limit names it)"))},
		"/ui/accuracy": oaObj{"get": page("Dashboard: realized accuracy of the kept forecasts: totals, coverage by horizon step, drifting series, worst series, by store").
			with("parameters", []oaObj{queryParam("store", "only this store", oaObj{"type": "string"})})},
		"/ui/jobs/{id}": oaObj{"get": page("Dashboard: one job's progress, ETA, phase timings, summary and warnings, memguard report and params; reloads every 5 s while the job is queued or running").
			with("parameters", []oaObj{jobIDParam()}).
			respond("404", uiErrorResp("no such job"))},
		"/ui/memguard/hunts/{id}": oaObj{"get": page("Dashboard: one leak hunt: the verdict on each candidate, its top sites, and leaks in shared code with the models that reach them").
			with("parameters", []oaObj{pathParam("id", "hunt ID")}).
			respond("404", uiErrorResp("no such hunt"))},
	}
}

// dataPaths are the uploads of sales and planned covariates, the series
// and their plans.
func dataPaths() oaObj {
	return oaObj{
		"/v1/sales":      oaObj{"post": postSalesOp()},
		"/v1/covariates": oaObj{"post": postCovariatesOp()},
		"/v1/series": oaObj{"get": op("List stored series", "data").
			with("parameters", []oaObj{limitParam(), queryParam("store", "only this store", oaObj{"type": "string"}),
				queryParam("after", "cursor (use next)", oaObj{"type": "string"})}).
			respond("200", resp("a page of series", paged(ref("SeriesInfo")))).respond("400", badRequest())},
		"/v1/series/{store}/{sku}":            oaObj{"delete": deleteSeriesOp()},
		"/v1/series/{store}/{sku}/covariates": oaObj{"get": getPlanOp(), "delete": deletePlanOp()},
	}
}

// The NDJSON examples are one line of the stream, as an object: the
// schema describes one line (OpenAPI 3.0 cannot say "a stream of these").

// uploadResponses are the responses of the two uploads: what was
// stored (IngestStats) and how the file was read (ingest.Report).
func uploadResponses(o oaObj, desc string) oaObj {
	result := oaObj{"allOf": []oaObj{ref("IngestStats"), object(oaObj{
		"delimiter":   str("CSV field delimiter detected from the header"),
		"date_format": str("strftime format the dates were read with (detected unless date_format was given)"),
		"covariates":  array(str("covariate column, lower-cased")),
		"attributes":  array(str("column read as a series attribute (sales uploads: attributes=, or M5's dept_id, cat_id, state_id)")),
		"ignored_columns": oaObj{"type": "array", "items": oaObj{"type": "string"},
			"description": "CSV columns not read: an unnamed index column, and text columns not mapped to a key (sales uploads)"},
		"negative_rows": oaObj{"type": "integer", "description": "rows with a negative quantity (sales uploads)"},
		"clipped_rows":  oaObj{"type": "integer", "description": "negative quantities stored as 0 (negative=clip)"},
		"accuracy":      ref("ScoreReport"),
	})}}
	return o.respond("200", resp(desc, result)).
		respond("400", problemResp("invalid rows or layout parameters (errors lists them; an ambiguous date column names date_format)")).
		respond("413", problemResp("body too large")).respond("415", problemResp("unsupported Content-Type")).
		respond("503", busyResp())
}

// busyResp is the answer to a write that the database's contention
// outlasted the store's retries (or a cancelled request): retry later.
func busyResp() oaObj {
	return problemResp("database busy (or the request was cancelled): retry after Retry-After seconds").
		with("headers", oaObj{"Retry-After": oaObj{"description": "seconds to wait before retrying", "schema": oaObj{"type": "integer"}}})
}

// ndjsonRow is one line of an NDJSON upload (SalesRow or CovariateRow,
// with store and sku optional: store_const and sku_const stand for them).
func ndjsonRow(sales bool) oaObj {
	props := oaObj{"date": str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hourly data, or as date_format names it"),
		"store": str("required unless store_const is given"), "sku": str("required unless sku_const is given")}
	if sales {
		props["quantity"] = number()
		props["covariates"] = oaObj{"type": "object", "additionalProperties": number(),
			"description": "optional covariate values recorded with the sale, by name"}
		props["attributes"] = oaObj{"type": "object", "additionalProperties": oaObj{"type": "string"},
			"description": "optional attributes of the series (e.g. dept), constant per series: a later row may leave them out, a different value is refused"}
		return object(props, "date", "quantity")
	}
	props["covariates"] = oaObj{"type": "object", "additionalProperties": number(), "minProperties": 1,
		"description": "planned values by covariate name"}
	return object(props, "date", "covariates")
}

// uploadParams are the layout parameters of an upload (api/upload_options.go).
func uploadParams(sales bool) []oaObj {
	s := oaObj{"type": "string"}
	col := func(name string) oaObj {
		return queryParam(name, "the CSV column that holds the "+name+" (case-insensitive; default: the column named "+name+")", s)
	}
	ps := []oaObj{col("date"), col("store"), col("sku")}
	if sales {
		ps = append(ps, col("quantity"))
	}
	ps = append(ps,
		queryParam("store_const", "the store of every row, for a file without a store column", s),
		queryParam("sku_const", "the SKU of every row, for a file without a SKU column (e.g. TOTAL)", s),
		queryParam("date_format", "strftime format of the dates (%Y %m %d %H %M %S, literal separators), e.g. %d/%m/%Y; "+
			"default: detected among ISO, DD/MM/YYYY, MM/DD/YYYY, DD-MM-YYYY, MM-DD-YYYY, DD.MM.YYYY, YYYY/MM/DD and YYYYMMDD, "+
			"with or without a time; a column where no day is above 12 is refused with 400 asking for it", s))
	if sales {
		ps = append(ps, queryParam("attributes", "comma-separated text columns read as series attributes (constant per series; a series whose value changes is refused naming both lines); M5's dept_id, cat_id and state_id are read so without it", s))
		ps = append(ps, queryParam("negative", "negative quantities: allow (default, counted), clip (stored as 0) or refuse",
			oaObj{"type": "string", "enum": []string{"allow", "clip", "refuse"}}))
	}
	return ps
}

func postSalesOp() oaObj {
	return uploadResponses(op("Upload sales history (streamed; rows upsert by date, store, sku)", "data").
		with("parameters", uploadParams(true)).
		with("requestBody", oaObj{"required": true, "content": oaObj{
			"text/csv": oaObj{"schema": oaObj{"type": "string", "description": "CSV with header date,store,sku,quantity, or the columns the parameters name; " +
				"delimiter , ; tab or | (detected); an unnamed index column is ignored; extra numeric columns are covariates, extra text columns are ignored"},
				"example": "date,store,sku,quantity,promo\n2026-01-01,S01,SKU001,12,0\n"},
			"application/x-ndjson": oaObj{"schema": ndjsonRow(true),
				"example": oaObj{"date": "2026-01-01", "store": "S01", "sku": "SKU001", "quantity": 12}},
		}}), "ingested")
}

func postCovariatesOp() oaObj {
	return uploadResponses(op("Upload covariate values known in advance (promotions, prices) for dates after the last sale; streamed, all or nothing", "data").
		with("description", "Values upsert by (store, sku, date, covariate), so separate uploads of different covariates keep each other. "+
			"Training extends each series' covariate columns past its last sale with them (up to 1000 steps ahead); "+
			"a covariate is given to the candidates only when it is planned for every step of the job's horizon. "+
			"Within the history, a value recorded with the sale wins over a planned one.").
		with("parameters", uploadParams(false)).
		with("requestBody", oaObj{"required": true, "content": oaObj{
			"text/csv": oaObj{"schema": oaObj{"type": "string", "description": "CSV with header date,store,sku and 1 to 64 covariate columns (names lower-cased, as in sales uploads), no quantity; an empty cell is a value not given"},
				"example": "date,store,sku,promo\n2026-11-01,S01,SKU001,1\n2026-11-02,S01,SKU001,0\n"},
			"application/x-ndjson": oaObj{"schema": ndjsonRow(false),
				"example": oaObj{"date": "2026-11-01", "store": "S01", "sku": "SKU001", "covariates": oaObj{"promo": 1}}},
		}}), "stored")
}

func getPlanOp() oaObj {
	return op("The planned covariate values of a series, by covariate name, sorted by date", "data").
		with("description", "What POST /v1/covariates stored for the series, including dates before its last sale or beyond the 1000 steps a job reads. "+
			"Dates are YYYY-MM-DD, with the time of day (YYYY-MM-DDTHH:MM:SS) when they have one. "+
			"404 when the series has neither sales nor planned values; a series with sales and no plan answers an empty covariates object.").
		with("parameters", planParams(storeParam(), skuParam(), "only this covariate")).
		respond("200", resp("the plan", ref("Plan"))).respond("400", badRequest()).respond("404", notFound())
}

func deletePlanOp() oaObj {
	return op("Delete planned covariate values of a series: all, or one covariate's, or those in a date range", "data").
		with("description", "One transaction. Unknown query parameters are refused, so a misspelt filter cannot delete the whole plan. "+
			"Published forecasts are unchanged; the next training or refresh job reads the plan as it is then. "+
			"To cancel one promotion, upload 0 for its date instead: a covariate missing on any step of a job's horizon is not used at all.").
		with("parameters", planParams(storeParam(), skuParam(), "delete only this covariate's values")).
		respond("200", resp("deleted", ref("PlanDeleted"))).respond("400", badRequest()).respond("404", notFound()).
		respond("503", busyResp())
}

func deleteSeriesOp() oaObj {
	date := oaObj{"type": "string", "example": "2026-11-01"}
	return op("Delete a series (sales, planned covariates and published forecast), or only its sales in a date range", "data").
		with("description", "One transaction. Without from and to, removes the series' sales, its planned covariates and its published forecast "+
			"(and results that running jobs staged for it). With from and/or to, removes only the sales dated in that range, inclusive; "+
			"the plan and the published forecast stay until the next job. Unknown query parameters are refused, so a misspelt range cannot delete the whole series. "+
			"404 when the series has neither sales nor planned values.").
		with("parameters", []oaObj{storeParam(), skuParam(),
			queryParam("from", "first date of sales to delete, inclusive (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)", date),
			queryParam("to", "last date of sales to delete, inclusive; a date without a time of day covers the whole day", date)}).
		respond("200", resp("deleted", ref("SeriesDeleted"))).respond("400", badRequest()).respond("404", notFound()).
		respond("503", busyResp())
}

// jobsPaths are the training and refresh jobs and their schedules.
func jobsPaths() oaObj {
	jobState := oaObj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed", "cancelled"}}
	return oaObj{
		"/v1/jobs": oaObj{
			"post": op("Queue a training or refresh job", "jobs").
				with("parameters", []oaObj{{"name": "X-Request-ID", "in": "header", "required": false,
					"description": "stored on the job; generated when absent", "schema": oaObj{"type": "string", "maxLength": maxRequestID}}}).
				with("requestBody", oaObj{"required": true, "content": jsonContent(ref("JobRequest"))}).
				respond("202", resp("queued; Location names the job", object(oaObj{"id": str(""), "state": str(""), "kind": str("")}))).
				respond("400", badRequest()).respond("413", problemResp("body larger than max_job_body_bytes (limit names it)")).
				respond("408", problemResp("body not received within body_read_timeout (limit names it)")).
				respond("429", withRetryAfter(problemResp("max_active_jobs jobs are queued or running (limit names it); retry after Retry-After seconds"))),
			"get": op("List jobs, newest first", "jobs").
				with("parameters", []oaObj{limitParam(),
					queryParam("state", "only jobs in this state", jobState),
					queryParam("before", "cursor (use next)", oaObj{"type": "string"})}).
				respond("200", resp("a page of jobs", paged(ref("Job")))).respond("400", badRequest()),
		},
		"/v1/jobs/{id}": oaObj{
			"get": op("A job's state, progress and memory summary", "jobs").with("parameters", []oaObj{jobIDParam()}).
				respond("200", resp("job", ref("Job"))).respond("404", notFound()),
			"delete": op("Cancel a job", "jobs").with("parameters", []oaObj{jobIDParam()}).
				respond("200", resp("the job, cancelled", ref("Job"))).respond("404", notFound()).respond("409", problemResp("job already finished")),
		},
		"/v1/schedules": oaObj{"get": op("Scheduled jobs and their next run", "jobs").
			respond("200", resp("schedules", items(object(oaObj{"name": str(""), "cron": str("cron expression"), "kind": str("train or refresh"),
				"horizon": integer(), "next_run": oaObj{"type": "string", "format": "date-time"}}, "name", "cron", "kind", "next_run"))))},
	}
}

// forecastsPaths are the published forecasts, leaderboards and models.
func forecastsPaths() oaObj {
	return oaObj{
		"/v1/series/{store}/{sku}/leaderboard": oaObj{"get": op("Every candidate's backtest result for a series", "forecasts").
			with("parameters", []oaObj{storeParam(), skuParam()}).
			respond("200", resp("leaderboard", ref("Leaderboard"))).respond("404", notFound())},
		"/v1/forecasts/{store}/{sku}": oaObj{"get": op("The published forecast of a series, or with as_of the kept vintage served then", "forecasts").
			with("description", "Also the aggregates of a job run with reconcile: /v1/forecasts/{store}/_total is the store's total, /v1/forecasts/_total/{sku} the SKU across stores, /v1/forecasts/_total/_total the grand total.").
			with("parameters", []oaObj{storeParam(), skuParam(), asOfParam()}).
			respond("200", resp("forecast; with as_of, also its cutoff and the as_of asked", oaObj{"allOf": []oaObj{ref("Forecast"),
				object(oaObj{"cutoff": str("last sales date the vintage trained on"), "as_of": str("")})}})).
			respond("400", badRequest()).respond("404", notFound())},
		"/v1/models": oaObj{"get": op("The candidate models and their default hyperparameters", "forecasts").
			respond("200", resp("models", items(ref("ModelInfo"))))},
	}
}

// memguardPaths are the leak guard's reports and quarantine.
func memguardPaths() oaObj {
	return oaObj{
		"/v1/memguard/reports": oaObj{"get": op("Memory reports of guarded runs, latest first", "memguard").
			respond("200", resp("reports", items(ref("MemReportSummary"))))},
		"/v1/memguard/reports/{id}": oaObj{"get": op("One memory report with allocation sites and leaked goroutines", "memguard").
			with("parameters", []oaObj{reportIDParam()}).
			respond("200", resp("report", ref("MemReport"))).respond("404", notFound())},
		"/v1/memguard/reports/{id}/heap.pb.gz": oaObj{"get": op("Heap diff profile of a run (go tool pprof)", "memguard").
			with("parameters", []oaObj{reportIDParam()}).
			respond("200", oaObj{"description": "pprof profile", "content": oaObj{"application/octet-stream": oaObj{"schema": oaObj{"type": "string", "format": "binary"}}}}).
			respond("404", notFound())},
		"/v1/memguard/quarantine": oaObj{"get": op("Models quarantined for leaking", "memguard").
			respond("200", resp("quarantine list", items(ref("QuarantineEntry"))))},
		"/v1/memguard/quarantine/{model}": oaObj{
			"put": op("Quarantine a model (kept across restarts; training and refresh jobs run without it)", "memguard").
				with("parameters", []oaObj{pathParam("model", "model name")}).
				with("requestBody", oaObj{"required": false, "content": jsonContent(ref("QuarantineRequest"))}).
				respond("200", resp("already quarantined: reason replaced", ref("QuarantineEntry"))).
				respond("201", resp("quarantined", ref("QuarantineEntry"))).
				respond("400", badRequest()).respond("404", problemResp("no registered model of that name")).
				respond("413", problemResp("body larger than 4 KiB")),
			"delete": op("Release a model from quarantine", "memguard").
				with("parameters", []oaObj{pathParam("model", "model name")}).
				respond("204", oaObj{"description": "released"}).respond("404", notFound())},
		"/v1/memguard/hunts": oaObj{"get": op("Leak hunts, newest first (persisted)", "memguard").
			with("parameters", []oaObj{limitParam(), queryParam("before", "cursor (use next)", oaObj{"type": "string"})}).
			respond("200", resp("a page of hunts", paged(ref("HuntSummary")))).respond("400", badRequest()).respond("404", notFound())},
		"/v1/memguard/hunts/{id}": oaObj{"get": op("One leak hunt: every candidate with its verdict, culprits, shared-code leaks", "memguard").
			with("parameters", []oaObj{pathParam("id", "hunt ID")}).
			respond("200", resp("hunt", ref("Hunt"))).respond("404", notFound())},
	}
}
