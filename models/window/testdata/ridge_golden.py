#!/usr/bin/python3
"""Independent reference for models/window's pooled ridge: builds the
windows as the package documents them (numpy), fits scikit-learn's
Ridge(alpha = Alpha * windows, fit_intercept=True) and writes the
coefficients, intercepts and each series' forecast of the last window
to ridge_golden.json.

    /usr/bin/python3 models/window/testdata/ridge_golden.py
"""
import json
import os

import numpy as np
from sklearn.linear_model import Ridge

L, H, LEVEL, STRIDE, PER_SERIES, ALPHA = 12, 5, 4, 2, 9, 0.01

rng = np.random.default_rng(18)
series = []
for k in range(6):
    n = 40 + 7 * k
    t = np.arange(n)
    y = (10 + 3 * k) * (1 + 0.3 * np.sin(2 * np.pi * t / 4 + k)) + 0.05 * t * k + rng.normal(0, 1, n)
    y = np.abs(y)
    series.append(y)
# A series too short for any window, and one whose input windows are all
# zero (left out).
series.append(rng.uniform(1, 5, L + H - 1))
series.append(np.zeros(L + H + 3))


def level(x):
    s = np.abs(x[-LEVEL:]).sum()
    if s > 0:
        return s / LEVEL
    return np.abs(x).sum() / len(x)


X, Y = [], []
for y in series:
    n = len(y)
    origins = list(range(n - H, L - 1, -STRIDE))[:PER_SERIES]
    for t in origins:
        x = y[t - L:t]
        lv = level(x)
        if lv == 0:
            continue
        X.append(x / lv)
        Y.append(y[t:t + H] / lv)
X, Y = np.array(X), np.array(Y)
model = Ridge(alpha=ALPHA * len(X), fit_intercept=True, solver="cholesky").fit(X, Y)

forecasts = []
for y in series:
    if len(y) < L:
        forecasts.append(None)
        continue
    x = y[-L:]
    lv = level(x)
    forecasts.append(None if lv == 0 else (model.predict((x / lv)[None, :])[0] * lv).tolist())

out = {
    "settings": {"lags": L, "horizon": H, "level": LEVEL, "stride": STRIDE, "per_series": PER_SERIES, "alpha": ALPHA},
    "series": [y.tolist() for y in series],
    "windows": len(X),
    "coef": model.coef_.T.tolist(),  # lags x horizon
    "bias": model.intercept_.tolist(),
    "forecasts": forecasts,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ridge_golden.json"), "w") as f:
    json.dump(out, f, indent=1)
