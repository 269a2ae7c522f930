#!/usr/bin/python3
"""Design matrices for the models/ml benchmarks, shared by Go and scikit-learn.

    /usr/bin/python3 make_matrix.py [OUTDIR]     (default /tmp/forecastd_ml_bench)

From the Kaggle store/item demand data (/work/shared/data/store_item_demand) it builds
20 features per target (lags 1-7, 14, 21, 28; rolling mean 7/14/28, std 7/28, min 7,
max 7 of the past; day of week, day of month, month), all from y shifted by one step:
  small:  store 1 item 1, the last 700 complete rows             (700 × 20)
  large:  100 series (stores 1-2 × items 1-50), last 1500 rows each (150,000 × 20)
Each matrix is written as raw little-endian float64: NAME_x.f64 (row-major) and NAME_y.f64,
plus NAME_test_x.f64 (the next rows to predict: 28 for small, 1000 for large).
"""
import os
import sys
import zipfile

import numpy as np
import pandas as pd

ZIP = "/work/shared/data/store_item_demand/demand-forecasting-kernels-only.zip"
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/forecastd_ml_bench"
os.makedirs(out, exist_ok=True)

df = pd.read_csv(zipfile.ZipFile(ZIP).open("train.csv"), parse_dates=["date"])


def design(s):
    y = s["sales"].astype(float).reset_index(drop=True)
    d = s["date"].reset_index(drop=True)
    past = y.shift(1)
    f = pd.DataFrame({f"lag_{k}": y.shift(k) for k in (1, 2, 3, 4, 5, 6, 7, 14, 21, 28)})
    for w in (7, 14, 28):
        f[f"mean_{w}"] = past.rolling(w).mean()
    for w in (7, 28):
        f[f"std_{w}"] = past.rolling(w).std()
    f["min_7"] = past.rolling(7).min()
    f["max_7"] = past.rolling(7).max()
    f["dow"] = d.dt.dayofweek
    f["dom"] = d.dt.day
    f["month"] = d.dt.month
    f["y"] = y
    return f.dropna().reset_index(drop=True)


def write(name, X, y, Xtest):
    np.ascontiguousarray(X, dtype="<f8").tofile(os.path.join(out, f"{name}_x.f64"))
    np.ascontiguousarray(y, dtype="<f8").tofile(os.path.join(out, f"{name}_y.f64"))
    np.ascontiguousarray(Xtest, dtype="<f8").tofile(os.path.join(out, f"{name}_test_x.f64"))
    print(name, X.shape, Xtest.shape)


one = design(df[(df.store == 1) & (df.item == 1)].sort_values("date"))
tr, te = one.iloc[-728:-28], one.iloc[-28:]
write("small", tr.drop(columns="y").values, tr["y"].values, te.drop(columns="y").values)

parts = []
for store in (1, 2):
    for item in range(1, 51):
        d = design(df[(df.store == store) & (df.item == item)].sort_values("date"))
        parts.append(d.iloc[-1500:])
big = pd.concat(parts, ignore_index=True)
test = pd.concat([p.iloc[:10] for p in parts], ignore_index=True)
write("large", big.drop(columns="y").values, big["y"].values, test.drop(columns="y").values)
