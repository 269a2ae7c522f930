#!/usr/bin/python3
"""Generate golden.json, the expected values of the features package.

Run once with Debian's Python and pandas 1.5 (not the pyenv python3 on PATH):

    cd features/testdata && /usr/bin/python3 make_golden.py

The Go tests read the committed golden.json; they never need Python.

kernels: every rolling statistic of pandas 1.5 (Series.rolling(w,
min_periods=m).<stat>(), ewm(...).mean(), expanding(m).mean()) on series
chosen to be hard: NaNs, NaN runs longer than the window, constants that are
not representable in binary, plateaus, long zero runs, values around 1e12
and 1e-9, and small values next to 1e12 spikes.

builder: the feature table of one series with the pandas expressions that
FEATURES.md gives for each column (shift(1) then rolling, etc.).
"""
import json
import math

import numpy as np
import pandas as pd

assert pd.__version__.startswith("1.5"), pd.__version__

rng = np.random.default_rng(20261126)
N = 90


def with_nans(x, frac):
    x = x.copy()
    x[rng.random(len(x)) < frac] = np.nan
    return x


series = {}
series["random"] = with_nans(rng.normal(10, 3, N), 0.1)
g = rng.normal(5, 2, N)
g[10:25] = np.nan  # a gap longer than most windows
g[40:42] = np.nan
g[0] = np.nan
series["gaps"] = g
series["constant"] = np.full(N, 3.7)
series["plateaus"] = np.repeat([1.0, 4.0, 4.0, 2.5, 0.1, 7.0, 7.0, 0.0, 2.0], 10)
z = np.zeros(N)
z[[3, 4, 40, 41, 42, 80]] = [2.0, 1.0, 5.0, 1.0, 3.0, 1.0]
z[60:65] = np.nan
series["zero_runs"] = z
series["huge"] = with_nans(1e12 * rng.random(N) + 1e12, 0.05)
series["tiny"] = with_nans(1e-9 * rng.random(N), 0.05)
m = rng.poisson(3, N).astype(float)
m[[5, 33, 34, 70]] = 1e12
series["spikes"] = m
series["negative"] = rng.normal(-2, 5, N)
series["counts"] = rng.poisson(4, N).astype(float)

windows = [1, 2, 3, 7, 28]


def minps(w):
    return sorted({0, 1, w})


def clean(a):
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else float(v) for v in a]


cases = []
for name, x in series.items():
    s = pd.Series(x)
    for w in windows:
        for mp in minps(w):
            r = s.rolling(w, min_periods=mp)
            for stat in ["sum", "mean", "std", "var", "min", "max", "median"]:
                cases.append(dict(series=name, stat=stat, window=w, min_periods=mp,
                                  expected=clean(getattr(r, stat)().to_numpy())))
            for q in [0.0, 0.25, 0.9]:
                cases.append(dict(series=name, stat="quantile", window=w, min_periods=mp, q=q,
                                  expected=clean(r.quantile(q, interpolation="linear").to_numpy())))
            zeros = s.eq(0).astype(float).where(s.notna()).rolling(w, min_periods=mp).sum()
            cases.append(dict(series=name, stat="zeros", window=w, min_periods=mp,
                              expected=clean(zeros.to_numpy())))
    for alpha in [0.1, 0.5, 1.0]:
        for adjust in [True, False]:
            for ignore_na in [False, True]:
                for mp in [0, 1, 5]:
                    e = s.ewm(alpha=alpha, adjust=adjust, ignore_na=ignore_na, min_periods=mp).mean()
                    cases.append(dict(series=name, stat="ewm", alpha=alpha, adjust=adjust,
                                      ignore_na=ignore_na, min_periods=mp, expected=clean(e.to_numpy())))
    for mp in [0, 1, 5]:
        cases.append(dict(series=name, stat="expanding_mean", min_periods=mp,
                          expected=clean(s.expanding(min_periods=mp).mean().to_numpy())))

# The builder: one weekly series (year lag 52) with NaNs and zero runs, and
# the pandas definition of each column for targets 0..len(y) (the last row
# is the forecast row, one step after the data).
T = 130
y = rng.poisson(3, T).astype(float)
y[20:26] = 0
y[[7, 50, 51]] = np.nan
start = pd.Timestamp("2020-01-05")  # a Sunday
idx = pd.date_range(start, periods=T + 1, freq="7D")
promo = (rng.random(T + 1) < 0.2).astype(float)
ys = pd.Series(np.append(y, np.nan), index=idx)  # the target row past the end
hist = ys.shift(1)
cols = {}
for k in [1, 2, 7]:
    cols[f"lag_{k}"] = ys.shift(k)
for w in [3, 8]:
    r = hist.rolling(w, min_periods=1)
    cols[f"roll_min_{w}"] = r.min()
    cols[f"roll_max_{w}"] = r.max()
    cols[f"roll_mean_{w}"] = r.mean()
    cols[f"roll_std_{w}"] = r.std()
    cols[f"roll_sum_{w}"] = r.sum()
    cols[f"roll_median_{w}"] = r.median()
    cols[f"roll_zeros_{w}"] = hist.eq(0).astype(float).where(hist.notna()).rolling(w, min_periods=1).sum()
    cols[f"roll_var_{w}"] = r.var()
    cols[f"roll_q90_{w}"] = r.quantile(0.9)
cols["ewm_0.3"] = hist.ewm(alpha=0.3, adjust=True).mean()
cols["expanding_mean"] = hist.expanding(min_periods=1).mean()
cols["year_ago"] = ys.shift(52)
# Go's time.Weekday: Sunday is 0; pandas' dayofweek has Monday 0.
cols["day_of_week"] = pd.Series((idx.dayofweek + 1) % 7, index=idx).astype(float)
cols["day_of_month"] = pd.Series(idx.day, index=idx).astype(float)
cols["week_of_year"] = pd.Series(idx.isocalendar().week.to_numpy(), index=idx).astype(float)
cols["month"] = pd.Series(idx.month, index=idx).astype(float)
cols["promo"] = pd.Series(promo, index=idx)
builder = dict(
    y=clean(y), start=start.strftime("%Y-%m-%d"), freq="weekly", promo=clean(promo),
    columns=list(cols), rows=[clean([cols[c].iloc[t] for c in cols]) for t in range(T + 1)],
)

out = dict(
    source=f"pandas {pd.__version__}, numpy {np.__version__}, features/testdata/make_golden.py",
    series={k: clean(v) for k, v in series.items()},
    cases=cases,
    builder=builder,
)
with open("golden.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(len(cases), "kernel cases,", T + 1, "builder rows")
