package api

// The OpenAPI paths and schemas of forecast vintages and their realized
// accuracy (accuracy.go), merged by openAPIPaths and openAPISchemas.

func accuracyPaths() oaObj {
	return oaObj{
		"/v1/series/{store}/{sku}/accuracy": oaObj{"get": op("Realized accuracy of a series' kept forecasts (vintages), by vintage and horizon step, and its drift judgement", "accuracy").
			with("description", "Every kept vintage, newest data cut-off first, scored on the actuals that have arrived for its dates (POST /v1/sales scores them on arrival): "+
				"WAPE, MASE (scaled by the naive error of the history the vintage trained on), bias (mean forecast - actual), 80% and 95% interval coverage and pinball loss "+
				"(mean over the 2.5, 10, 50, 90 and 97.5% quantiles the point and intervals state). drift is the series' judgement on its newest vintage with enough steps "+
				"(null before any is scored). No query parameters. 404 when no forecast of the series is kept.").
			with("parameters", []oaObj{storeParam(), skuParam()}).
			respond("200", resp("vintages with their realized scores", ref("SeriesAccuracy"))).respond("400", badRequest()).respond("404", notFound())},
		"/v1/accuracy": oaObj{"get": op("Series ranked by realized error (worst first), with aggregates by store and in total, and which drift", "accuracy").
			with("description", "Each series is scored on the vintage it was last judged on. A series drifts when its realized WAPE exceeds backtest WAPE x wape_factor + wape_slack, "+
				"or when a one-sided binomial test of its 80% interval coverage against 80% has p < alpha (rule lists the parameters), over at least min_steps scored steps. "+
				"stores and total aggregate the series the filters select (WAPE as summed absolute error over summed actuals).").
			with("parameters", []oaObj{queryParam("store", "only this store", oaObj{"type": "string"}),
				queryParam("drifting", "only drifting series", oaObj{"type": "boolean"}), limitParam(),
				queryParam("offset", "rank of the first item (use next)", oaObj{"type": "integer", "minimum": 0})}).
			respond("200", resp("a page of the ranking", ref("AccuracyRanking"))).respond("400", badRequest())},
	}
}

// asOfParam is the as_of parameter of GET /v1/forecasts/{store}/{sku}.
func asOfParam() oaObj {
	return queryParam("as_of", "serve the kept forecast (vintage) with the latest data cut-off (last sales date trained on) on or before this date "+
		"(YYYY-MM-DD covers the whole day, or YYYY-MM-DDTHH:MM:SS); 400 for a bad date, 404 when no kept vintage is that old",
		oaObj{"type": "string", "example": "2026-11-01"})
}

func accuracySchemas() oaObj {
	n := nullNumber
	scores := oaObj{"steps": oaObj{"type": "integer", "description": "steps with an actual"}, "wape": n(), "mase": n(), "bias": n(),
		"coverage_80": n(), "coverage_95": n(), "pinball": n()}
	drift := oaObj{"job_id": str("the vintage judged"), "judged": oaObj{"type": "boolean", "description": "false before min_steps steps are scored"},
		"drifting": oaObj{"type": "boolean"}, "reasons": array(str("which test failed, with its figures")),
		"backtest_wape": n(), "wape_limit": n(), "coverage_p": n()}
	with := func(base oaObj, more oaObj) oaObj {
		out := oaObj{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range more {
			out[k] = v
		}
		return out
	}
	aggregate := object(oaObj{"store": str("absent in the total"), "series": integer(), "drifting": integer(), "steps": integer(),
		"wape": n(), "coverage_80": n()}, "series", "drifting", "steps", "wape", "coverage_80")
	return oaObj{
		"SeriesAccuracy": object(oaObj{"store": str(""), "sku": str(""),
			"drift": oaObj{"type": "object", "nullable": true, "properties": drift},
			"items": array(object(with(scores, oaObj{"job_id": str(""), "cutoff": str("last sales date trained on"),
				"published_at": oaObj{"type": "string", "format": "date-time"}, "first_date": str(""), "last_date": str(""),
				"scale": n(), "backtest_wape": n(),
				"by_step": array(object(oaObj{"step": integer(), "date": str(""), "forecast": number(), "lower": number(), "upper": number(),
					"lower_95": number(), "upper_95": number(), "actual": number(), "abs_error": number(),
					"covered_80": oaObj{"type": "boolean"}, "covered_95": oaObj{"type": "boolean"}, "pinball": n()}))}),
				"job_id", "cutoff", "steps", "wape", "coverage_80", "by_step"))}, "store", "sku", "drift", "items"),
		"AccuracyRanking": object(oaObj{
			"items": array(object(with(with(scores, drift), oaObj{"store": str(""), "sku": str(""), "cutoff": str("")}),
				"store", "sku", "steps", "wape", "drifting")),
			"next":   oaObj{"type": "string", "nullable": true, "description": "URL of the next page, null on the last"},
			"total":  aggregate,
			"stores": array(aggregate),
			"rule":   object(oaObj{"min_steps": integer(), "wape_factor": number(), "wape_slack": number(), "alpha": number()}),
		}, "items", "next", "total", "stores", "rule"),
		"ScoreReport": object(oaObj{"series": integer(), "vintages": integer(), "steps": integer(),
			"drifting":     oaObj{"type": "integer", "description": "series of this upload judged drifting"},
			"pending":      oaObj{"type": "boolean", "description": "the 20 s scoring budget ran out; the server scores the rest within a minute"},
			"retrain_jobs": array(str("job queued for drifting series (FORECASTD_RETRAIN_ON_DRIFT)")), "retrain_series": integer(),
			"error": str("scoring failed part-way; the sales are stored and the server retries the pending arrivals within a minute")}),
		"DriftFigure": object(oaObj{"store": str(""), "sku": str(""), "vintage_job_id": str(""), "steps": integer(),
			"wape": n(), "wape_limit": n(), "coverage_80": n(), "coverage_p": n(), "reasons": array(str(""))}),
	}
}
