package api

// attributePaths are the series attributes and the aggregates a
// reconciled job publishes over them (api/attributes.go).
func attributePaths() oaObj {
	attrs := oaObj{"type": "object", "additionalProperties": oaObj{"type": "string"}, "description": "attribute values by name"}
	return oaObj{
		"/v1/series/attributes": oaObj{"post": op("Upload series attributes (an M5-style dept or category, a store's state): all or nothing", "data").
			with("description", "One row per series: store, sku and attribute values by name (names lower-cased). A value replaces the stored value "+
				"of the same series and name; the series' other attributes stay. A series given two values of one attribute is refused with 400 naming both lines. "+
				"A job with reconcile adds a level per attribute: its values across stores and in each store, served by GET /v1/aggregates/{name}/{value}. "+
				"Attributes are also read from the sales upload (attributes=, or M5's dept_id, cat_id, state_id) and are deleted with the series.").
			with("requestBody", oaObj{"required": true, "content": oaObj{
				"text/csv": oaObj{"schema": oaObj{"type": "string", "description": "CSV with header store,sku and 1 to 16 attribute columns; an empty cell gives no value"},
					"example": "store,sku,dept,cat\nCA_1,FOODS_1_001,FOODS_1,FOODS\n"},
				"application/x-ndjson": oaObj{"schema": object(oaObj{"store": str(""), "sku": str("")}, "store", "sku").with("additionalProperties", oaObj{"type": "string"}),
					"example": oaObj{"store": "CA_1", "sku": "FOODS_1_001", "dept": "FOODS_1", "cat": "FOODS"}},
			}}).
			respond("200", resp("stored", object(oaObj{"attributes": integer(), "series": integer()}, "attributes", "series"))).
			respond("400", problemResp("invalid rows (errors lists them)")).
			respond("413", problemResp("body too large")).respond("415", problemResp("unsupported Content-Type")).
			respond("503", busyResp())},
		"/v1/series/{store}/{sku}/attributes": oaObj{"get": op("The attributes of a series", "data").
			with("description", "404 when the series has no sales, planned covariates or attributes; a series without attributes answers an empty object.").
			with("parameters", []oaObj{storeParam(), skuParam()}).
			respond("200", resp("attributes", object(oaObj{"store": str(""), "sku": str(""), "attributes": attrs}, "store", "sku", "attributes"))).
			respond("404", notFound())},
		"/v1/aggregates/{name}/{value}": oaObj{"get": op("The reconciled forecast of the series whose attribute has a value, across stores or in one store", "forecasts").
			with("description", "Published by a job with reconcile over series with attributes, in the shape of a series' forecast: the same as "+
				"GET /v1/forecasts/_total/_{name}={value}, or /v1/forecasts/{store}/_{name}={value} with store. 404 until such a job ran.").
			with("parameters", []oaObj{pathParam("name", "attribute name, e.g. dept_id"), pathParam("value", "attribute value (URL-escaped), e.g. FOODS_1"),
				queryParam("store", "only the series of this store", oaObj{"type": "string"})}).
			respond("200", resp("forecast", ref("Forecast"))).respond("400", badRequest()).respond("404", notFound())},
	}
}
