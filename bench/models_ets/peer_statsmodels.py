"""statsmodels peer for bench/models_ets: times ETSModel (maximum
likelihood, statsmodels' own starting values) for the fixed ETS forms of
forecastd's holt, damped_holt, holt_winters_add and holt_winters_mul on the
series of models/ets/testdata/bench_series.json, fitted on all but the last
2m points and scored by MAE on those. statsmodels has no automatic ETS
selection, so auto_ets is not timed. Prints JSON lines like peer_r.R.

    /usr/bin/python3 bench/models_ets/peer_statsmodels.py models/ets/testdata/bench_series.json
"""
import json
import sys
import time
import warnings

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

FORMS = {
    "holt": dict(error="add", trend="add", damped_trend=False, seasonal=None),
    "damped_holt": dict(error="add", trend="add", damped_trend=True, seasonal=None),
    "holt_winters_add": dict(error="add", trend="add", damped_trend=False, seasonal="add"),
    "holt_winters_mul": dict(error="mul", trend="add", damped_trend=False, seasonal="mul"),
}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "models/ets/testdata/bench_series.json"
    methods = sys.argv[2].split(",") if len(sys.argv) > 2 else list(FORMS)
    with open(path) as f:
        data = json.load(f)
    warnings.simplefilter("ignore")
    for s in data["series"]:
        y = np.asarray(s["y"], dtype=float)
        m = s["m"]
        h = 2 * m
        n = len(y) - h
        train, test = y[:n], y[n:]
        for meth in methods:
            if meth not in FORMS:
                continue
            kw = dict(FORMS[meth])
            if kw["seasonal"] is not None:
                kw["seasonal_periods"] = m
            rec = {"impl": "statsmodels", "series": s["name"], "n": n, "method": meth}
            c0, w0 = time.process_time(), time.perf_counter()
            c1 = w1 = None
            try:
                res = ETSModel(train, **kw).fit(disp=False)
                c1, w1 = time.process_time(), time.perf_counter()
                reps = 20
                for _ in range(reps):
                    fc = np.asarray(res.forecast(h))
                rec["fit_cpu"] = c1 - c0
                rec["forecast_cpu"] = (time.process_time() - c1) / reps
                rec["cpu"] = rec["fit_cpu"] + rec["forecast_cpu"]
                rec["wall"] = (w1 - w0) + (time.perf_counter() - w1) / reps
                rec["model"] = "ETSModel"
                rec["mae"] = float(np.mean(np.abs(fc - test)))
            except Exception as e:  # a failed fit is a result, not a crash
                rec["model"] = "error: %s" % e
                rec["cpu"] = time.process_time() - c0
                rec["wall"] = time.perf_counter() - w0
            print(json.dumps(rec))


if __name__ == "__main__":
    main()
