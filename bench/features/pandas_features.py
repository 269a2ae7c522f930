#!/usr/bin/python3
"""The 20 features of `forecastd features` in pandas, for bench/features/run.sh.

    /usr/bin/python3 pandas_features.py train.csv

reads the Kaggle store/item demand train.csv (date,store,item,sales; mapped
to date,store,sku,quantity), computes per series, with pandas' fastest idiom
for grouped rolling windows,

    lag_k        = g.quantity.shift(k)                      k in 1, 7, 14, 28
    roll_<s>_<w> = g.quantity.transform(lambda s: s.shift(1).rolling(w, min_periods=1).<s>())
                                                           s in min, max, mean, std, sum; w in 7, 14, 28
    year_ago     = g.quantity.shift(364)

(g = df.groupby(["store", "sku"]) on rows sorted by store, sku, date), and
prints count, mean, std, min and max of every column, as
`forecastd features -describe` does, so the two outputs can be compared.
The series are complete and daily, so no zero-filling is needed.
"""
import sys
import time

import pandas as pd

t0 = time.time()
df = pd.read_csv(sys.argv[1], parse_dates=["date"])
df = df.rename(columns={"item": "sku", "sales": "quantity"})
df["quantity"] = df["quantity"].astype("float64")
df = df.sort_values(["store", "sku", "date"], kind="stable").reset_index(drop=True)
t1 = time.time()

g = df.groupby(["store", "sku"])
for k in [1, 7, 14, 28]:
    df[f"lag_{k}"] = g["quantity"].shift(k)
for w in [7, 14, 28]:
    for s in ["min", "max", "mean", "std", "sum"]:
        df[f"roll_{s}_{w}"] = g["quantity"].transform(
            lambda x, w=w, s=s: getattr(x.shift(1).rolling(w, min_periods=1), s)())
df["year_ago"] = g["quantity"].shift(364)
t2 = time.time()

cols = ["quantity"] + [c for c in df.columns if c.startswith(("lag_", "roll_", "year_ago"))]
d = df[cols].agg(["count", "mean", "std", "min", "max"]).T
print(f"# {len(df)} rows, {g.ngroups} series")
print(f"{'column':<18s} {'count':>10s} {'mean':>16s} {'std':>16s} {'min':>16s} {'max':>16s}")
for name, r in d.iterrows():
    print(f"{name:<18s} {r['count']:10.0f} {r['mean']:16.6g} {r['std']:16.6g} {r['min']:16.6g} {r['max']:16.6g}")
print(f"pandas: read {t1 - t0:.2f}s, features {t2 - t1:.2f}s, describe {time.time() - t2:.2f}s", file=sys.stderr)
