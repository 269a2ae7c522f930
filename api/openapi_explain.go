package api

// The OpenAPI operations and schemas of the explain and scenario
// endpoints (explain.go, scenario.go).

func explainPaths() oaObj {
	conflict := problemResp("the forecast kept no models (a fallback) or all are quarantined, or the stored sales no longer reach its last date")
	tooBig := problemResp("the series would load more than max_read_points values")
	slow := withRetryAfter(problemResp("max_concurrent_explains are running (Retry-After), or explain_timeout ran out, or too many requests in flight"))
	return oaObj{
		"/v1/forecasts/{store}/{sku}/explain": oaObj{"get": op("Why the published forecast is what it is", "forecasts").
			with("description", "Re-runs the kept models from their stored states (nothing is refitted or stored): their weights and backtest scores; "+
				"per step, each planned covariate's effect against a baseline plan (each covariate at its most frequent value in the history), "+
				"exact for every model (coefficients, TreeSHAP, or Shapley values by enumeration), with value = baseline_value + Σ contributions + carryover; "+
				"the tree models' feature importances (mean |TreeSHAP|); and the seasonal indices of the history.").
			with("parameters", []oaObj{storeParam(), skuParam()}).
			respond("200", resp("explanation", ref("Explanation"))).respond("404", notFound()).
			respond("409", conflict).respond("422", tooBig).respond("503", slow)},
		"/v1/forecasts/{store}/{sku}/scenarios": oaObj{"post": op("What if: the forecast under a changed plan, next to the baseline", "forecasts").
			with("description", "Changes the series' stored plan by the rows given (rows as POST /v1/covariates NDJSON rows of this series; "+
				"store and sku may be left out) and forecasts with the kept models, combined with their weights and with the published intervals' widths. "+
				"Nothing is stored. Each changed date must be on the forecast's horizon and each covariate one the forecast knows; "+
				"kept models that read no covariate forecast the same under any plan, which the notes say.").
			with("parameters", []oaObj{storeParam(), skuParam()}).
			with("requestBody", oaObj{"required": true, "content": jsonContent(ref("ScenarioRequest"))}).
			respond("200", resp("baseline and scenario", ref("Scenario"))).respond("400", badRequest()).respond("404", notFound()).
			respond("409", conflict).respond("413", problemResp("body larger than max_scenario_body_bytes")).
			respond("422", tooBig).respond("503", slow)},
	}
}

func explainSchemas() oaObj {
	perStep := oaObj{"type": "object", "additionalProperties": array(number()),
		"description": "covariate → the model's direct effect at each step"}
	importance := object(oaObj{"feature": str(""), "mean_abs_shap": number(), "share": number()}, "feature", "mean_abs_shap", "share")
	return oaObj{
		"Explanation": object(oaObj{"store": str(""), "sku": str(""), "job_id": str(""), "last_date": str("the last sales date the forecast was trained on"),
			"horizon": integer(), "season": integer(),
			"models": array(object(oaObj{"name": str(""), "family": str(""), "weight": number(), "backtest": ref("Metrics"),
				"covariates":    array(str("covariate the model reads; none: the same forecast under any plan")),
				"method":        oaObj{"type": "string", "enum": []string{"coefficients", "treeshap", "shapley", "shapley_forecasts"}},
				"contributions": perStep, "importances": array(importance),
				"importance_scale": str("prediction, or log prediction for a log-link boosting"),
				"error":            str("why the model could not be explained; its effects are then in carryover")},
				"name", "family", "weight", "backtest", "covariates")),
			"baseline_plan": array(object(oaObj{"name": str(""), "value": number()}, "name", "value")),
			"steps": array(object(oaObj{"date": str(""), "value": number(), "baseline_value": number(),
				"contributions": oaObj{"type": "object", "additionalProperties": number()},
				"carryover":     number()}, "date", "value", "baseline_value", "contributions", "carryover")),
			"seasonal_profile": object(oaObj{"season": integer(), "method": str(""), "indices": array(number()),
				"labels": array(str("the weekday, or the date, of the position"))}, "season", "method", "indices", "labels"),
			"notes": array(str(""))}, "store", "sku", "job_id", "last_date", "horizon", "models", "baseline_plan", "steps", "notes"),
		"ScenarioRequest": object(oaObj{"changes": array(object(oaObj{
			"date":  str("YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS for hourly data; a date of the forecast's horizon"),
			"store": str("optional; this series' store"), "sku": str("optional; this series' SKU"),
			"covariates": oaObj{"type": "object", "additionalProperties": number(), "minProperties": 1,
				"description": "covariate name to its value in the scenario"}}, "date", "covariates"))}, "changes"),
		"Scenario": object(oaObj{"store": str(""), "sku": str(""), "job_id": str(""), "last_date": str(""), "horizon": integer(),
			"baseline": array(ref("Point")), "scenario": array(ref("Point")),
			"models": array(object(oaObj{"name": str(""), "weight": number(), "covariates": array(str("")),
				"moved": oaObj{"type": "boolean", "description": "the scenario changed this model's forecast"}}, "name", "weight", "covariates", "moved")),
			"changed_covariates": array(str("")), "notes": array(str(""))},
			"store", "sku", "job_id", "horizon", "baseline", "scenario", "models", "changed_covariates", "notes"),
	}
}

// scenarioFormParams are the query parameters of the series page's
// scenario form (ui_explain.go).
func scenarioFormParams() []oaObj {
	date := oaObj{"type": "string", "example": "2026-11-07"}
	text := oaObj{"type": "string"}
	return []oaObj{
		queryParam("scenario", "set (1) to forecast the scenario the other parameters describe", text),
		queryParam("move_cov", "covariate whose planned values move_from and move_to swap (a promotion moves)", text),
		queryParam("move_from", "date of the horizon", date), queryParam("move_to", "date of the horizon", date),
		queryParam("set_cov", "covariate to set to set_value", text), queryParam("set_value", "a number", text),
		queryParam("set_from", "first date set (default the first of the horizon)", date),
		queryParam("set_to", "last date set (default the last of the horizon)", date),
	}
}
