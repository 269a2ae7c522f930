#!/usr/bin/python3
"""Independent reference for models/window's pooled ridge: builds the
windows as the package documents them (numpy), fits scikit-learn's
Ridge(alpha = Alpha * windows, fit_intercept=True) and writes the
coefficients, intercepts and each series' forecast of the last window
to ridge_golden.json, for the three ways a window is normalised: divided
by its level; centred on it and divided by the mean absolute deviation;
the same on log(1+y).

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
# A series too short for any window, and one whose windows are all zero
# (left out of training, forecast as zeros).
series.append(rng.uniform(1, 5, L + H - 1))
series.append(np.zeros(L + H + 3))


def loc_scale(x, centre):
    """The window's location and scale (0 scale: no shape, flat at loc)."""
    if not centre:
        s = np.abs(x[-LEVEL:]).sum()
        if s > 0:
            return 0.0, s / LEVEL
        return 0.0, np.abs(x).sum() / len(x)
    loc = x[-LEVEL:].mean()
    return loc, np.abs(x - loc).mean()


def origins(n):
    """Every STRIDE back from n-H, or PER_SERIES spread over the history."""
    last = n - H
    if last < L:
        return []
    span = last - L
    if span // STRIDE + 1 <= PER_SERIES:
        return list(range(last, L - 1, -STRIDE))[:PER_SERIES]
    return [last - k * span // (PER_SERIES - 1) for k in range(PER_SERIES)]


def case(centre, log):
    f = np.log1p if log else (lambda v: v)
    X, Y = [], []
    for y in series:
        for t in origins(len(y)):
            x, z = f(y[t - L:t]), f(y[t:t + H])
            loc, sc = loc_scale(x, centre)
            if sc == 0:
                continue
            X.append((x - loc) / sc)
            Y.append((z - loc) / sc)
    X, Y = np.array(X), np.array(Y)
    model = Ridge(alpha=ALPHA * len(X), fit_intercept=True, solver="cholesky").fit(X, Y)
    forecasts = []
    for y in series:
        x = f(y[-L:])
        loc, sc = loc_scale(x, centre)
        fc = np.full(H, loc) if sc == 0 else loc + sc * model.predict(((x - loc) / sc)[None, :])[0]
        forecasts.append((np.expm1(fc) if log else fc).tolist())
    return {
        "centre": centre, "log": log,
        "windows": len(X),
        "coef": model.coef_.T.tolist(),  # lags x horizon
        "bias": model.intercept_.tolist(),
        "forecasts": forecasts,
    }


out = {
    "settings": {"lags": L, "horizon": H, "level": LEVEL, "stride": STRIDE, "per_series": PER_SERIES, "alpha": ALPHA},
    "series": [y.tolist() for y in series],
    "cases": [case(False, False), case(True, False), case(True, True)],
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ridge_golden.json"), "w") as f:
    json.dump(out, f, indent=1)
