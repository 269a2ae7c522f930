#!/usr/bin/python3
"""Independent pandas computation of models/global's training design
(Design) on a small pool, for golden_test.go: the series scaled by the mean
absolute value of their last ScaleWindow points, the features package's
columns on the scaled values (pandas definitions as in features/FEATURES.md),
the season phase, the series-level statistics and the target-encoded store
and SKU, for the recursive and the direct layout.

    /usr/bin/python3 models/global/testdata/make_design_golden.py > models/global/testdata/design_golden.json
"""
import json
import math

import numpy as np
import pandas as pd

LAGS, WINDOWS, STATS = [1, 7], [3, 7], ["min", "max", "mean", "std"]
SEASON, MAX_ROWS, SCALE_WINDOW, HORIZON = 7, 30, 14, 5
EPOCH = pd.Timestamp("1970-01-01")

rng = np.random.default_rng(7)
pool = []
for store, sku, start, n, lam in [("s1", "a", "2021-03-01", 40, 4.0), ("s1", "b", "2021-03-05", 35, 0.7),
                                  ("s2", "a", "2021-02-20", 45, 12.0)]:
    y = rng.poisson(lam * (1 + 0.5 * np.sin(np.arange(n) * 2 * np.pi / 7)))
    pool.append({"store": store, "sku": sku, "start": start, "y": [float(v) for v in y]})


def statics(s):
    y = np.array(s["y"])
    tail = y[-SCALE_WINDOW:]
    scale = np.abs(tail).mean()
    if scale == 0:
        scale = np.abs(y).mean() or 1.0
    return scale, math.log(scale), tail.std(ddof=0) / scale, float((tail == 0).mean())


def encodings():
    logs = pd.DataFrame([{"store": s["store"], "sku": s["sku"], "l": statics(s)[1]} for s in pool])
    all_ = logs["l"].mean()
    return (logs.groupby("store")["l"].mean() - all_).to_dict(), (logs.groupby("sku")["l"].mean() - all_).to_dict()


def frame(s, calendar):
    scale = statics(s)[0]
    ys = pd.Series(s["y"]) / scale
    dates = pd.date_range(s["start"], periods=len(ys), freq="D")
    f = pd.DataFrame(index=ys.index)
    for k in LAGS:
        f[f"lag_{k}"] = ys.shift(k)
    hist = ys.shift(1)
    for w in WINDOWS:
        for st in STATS:
            f[f"roll_{st}_{w}"] = getattr(hist.rolling(w, min_periods=1), st)()
    if calendar:
        f["day_of_week"] = (dates.dayofweek + 1) % 7
        f["day_of_month"] = dates.day
        f["week_of_year"] = dates.isocalendar().week.values
        f["month"] = dates.month
    return ys, dates, f


def design(direct):
    stores, skus = encodings()
    cols, target = {}, []

    def put(name, v):
        cols.setdefault(name, []).append(None if (isinstance(v, float) and math.isnan(v)) else float(v))

    for i, s in enumerate(pool):
        ys, dates, f = frame(s, calendar=not direct)
        n = len(ys)
        _, logscale, cv, zero = statics(s)
        phase0 = (pd.Timestamp(s["start"]) - EPOCH).days % SEASON
        start = max(max(LAGS), n - MAX_ROWS)
        for t in range(start, n):
            o, k = t, 1
            if direct:
                k = 1 + (t * 2654435761 + i * 40503) % HORIZON
                o = t - k + 1
                if o < start:
                    continue
            for name in f.columns:
                put(name, f[name].iloc[o])
            put("season_phase", (phase0 + t) % SEASON)
            put("log_scale", logscale)
            put("cv", cv)
            put("zero_share", zero)
            put("store_enc", stores[s["store"]])
            put("sku_enc", skus[s["sku"]])
            if direct:
                d = dates[t]
                put("step", k)
                put("target_day_of_week", (d.dayofweek + 1) % 7)
                put("target_day_of_month", d.day)
                put("target_week_of_year", d.isocalendar()[1])
                put("target_month", d.month)
            target.append(float(ys.iloc[t]))
    return {"columns": cols, "y": target}


print(json.dumps({"settings": {"lags": LAGS, "windows": WINDOWS, "stats": STATS, "season": SEASON,
                               "max_rows": MAX_ROWS, "scale_window": SCALE_WINDOW, "horizon": HORIZON},
                  "pool": pool, "recursive": design(False), "direct": design(True)}, indent=1))
