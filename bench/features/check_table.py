#!/usr/bin/python3
"""Check the full table of `forecastd features` (default feature set) against pandas.

    bin/forecastd features -data sales.csv -out features.csv
    /usr/bin/python3 bench/features/check_table.py train.csv features.csv

train.csv is the Kaggle store/item demand file (date,store,item,sales). Every
column is recomputed with the pandas definitions of features/FEATURES.md and
compared: NaN in the same places, values within 1e-9 relative.
"""
import sys

import numpy as np
import pandas as pd

got = pd.read_csv(sys.argv[2], dtype={"store": str, "sku": str})
df = pd.read_csv(sys.argv[1], parse_dates=["date"]).rename(columns={"item": "sku", "sales": "quantity"})
df["store"], df["sku"] = df.store.astype(str), df.sku.astype(str)
df["quantity"] = df.quantity.astype(float)
df = df.sort_values(["store", "sku", "date"], kind="stable").reset_index(drop=True)
g = df.groupby(["store", "sku"]).quantity
want = pd.DataFrame({"store": df.store, "sku": df.sku, "date": df.date.dt.strftime("%Y-%m-%d"), "quantity": df.quantity})
for k in [1, 7, 14, 28]:
    want[f"lag_{k}"] = g.shift(k)
for w in [7, 28]:
    for s in ["min", "max", "mean", "std"]:
        want[f"roll_{s}_{w}"] = g.transform(lambda x, w=w, s=s: getattr(x.shift(1).rolling(w, min_periods=1), s)())
want["year_ago"] = g.shift(364)
want["day_of_week"] = (df.date.dt.dayofweek + 1) % 7
want["day_of_month"] = df.date.dt.day
want["week_of_year"] = df.date.dt.isocalendar().week.astype(int)
want["month"] = df.date.dt.month

assert list(got.columns) == list(want.columns), (list(got.columns), list(want.columns))
for c in ["store", "sku", "date"]:
    assert (got[c].to_numpy() == want[c].to_numpy()).all(), c
worst = 0.0
for c in got.columns[3:]:
    a, b = got[c].to_numpy(float), want[c].to_numpy(float)
    assert (np.isnan(a) == np.isnan(b)).all(), f"{c}: NaN in different rows"
    m = ~np.isnan(a)
    if m.any():
        worst = max(worst, float(np.max(np.abs(a[m] - b[m]) / np.maximum(np.abs(b[m]), 1e-300))))
assert worst < 1e-9, worst
print(f"table matches pandas: {len(got)} rows x {len(got.columns)} columns, worst relative difference {worst:.2g}")
