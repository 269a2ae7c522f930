"""Reference TSB, ADIDA and IMAPA forecasts for models/croston_test.go.

Run once from models/testdata/intermittent, after make_golden.R:
    /usr/bin/python3 make_golden.py
It reads the series of croston_golden.json and writes tsb_adida_imapa_golden.json.

R's tsintermittent is not available here, so this is an independent
implementation written from the published definitions, with the
initialisation choices documented in models/intermittent.go:
  TSB   Teunter, Syntetos & Babai (2011): size z smoothed with alpha at
        demand periods, probability p smoothed with beta every period,
        forecast p*z; state starts at the first demand with z = that demand
        and p = 1/(its 1-based position).
  ADIDA Nikolopoulos et al. (2011): k = mean inter-demand interval rounded
        half up (first interval counted from the start); non-overlapping
        k-sums aligned to end at the last point; SES started at the first
        sum with alpha in [0.1, 0.3] minimising the in-sample SSE (as
        statsforecast; ties to the lowest weight); forecast = level / k.
  IMAPA Petropoulos & Kourentzes (2015): mean of the ADIDA-style forecasts
        for k = 1..round(mean interval).
The SES weight is found with scipy's bounded Brent (minimize_scalar), a
different optimiser from the Go code's grid + Brent.
"""
import json
import math

import numpy as np
from scipy.optimize import minimize_scalar


def tsb(y, alpha, beta):
    y = np.asarray(y, float)
    first = int(np.flatnonzero(y > 0)[0])
    z, p = y[first], 1.0 / (first + 1)
    for v in y[first + 1:]:
        if v > 0:
            z = z + alpha * (v - z)
            p = p + beta * (1 - p)
        else:
            p = p * (1 - beta)
    return p * z


def mean_interval(y):
    idx = np.flatnonzero(np.asarray(y) > 0) + 1
    return np.diff(np.concatenate([[0], idx])).mean()


def aggregate(y, k):
    y = np.asarray(y, float)
    nb = len(y) // k
    return y[len(y) - nb * k:].reshape(nb, k).sum(axis=1)


def ses_sse(alpha, x):
    level, sse = x[0], 0.0
    for v in x[1:]:
        sse += (v - level) ** 2
        level += alpha * (v - level)
    return sse


def ses_level(x, alpha):
    level = x[0]
    for v in x[1:]:
        level += alpha * (v - level)
    return level


def ses_alpha(x):
    if len(x) < 3:
        return 0.2
    r = minimize_scalar(ses_sse, bounds=(0.1, 0.3), args=(x,), method="bounded",
                        options={"xatol": 1e-12})
    # Ties (a flat objective, e.g. a single late demand) go to the lowest
    # weight, as documented in the Go code.
    if ses_sse(0.1, x) <= r.fun:
        return 0.1
    return r.x


def level_forecast(y, k):
    x = aggregate(y, k)
    a = ses_alpha(x)
    return ses_level(x, a) / k, a


def agg_level(y):
    return max(1, min(int(math.floor(mean_interval(y) + 0.5)), len(y)))


def main():
    with open("croston_golden.json") as fh:
        src = json.load(fh)
    out = []
    for s in src["series"]:
        y = s["y"]
        k = agg_level(y)
        adida, adida_alpha = level_forecast(y, k)
        imapa = np.mean([level_forecast(y, j)[0] for j in range(1, k + 1)])
        out.append({
            "id": s["id"], "y": y, "h": s["h"],
            "tsb": [{"alpha": a, "beta": b, "forecast": tsb(y, a, b)}
                    for a, b in [(0.1, 0.1), (0.2, 0.05), (0.3, 0.3)]],
            "adida": {"k": k, "alpha": adida_alpha, "forecast": adida},
            "imapa": {"forecast": float(imapa)},
        })
    with open("tsb_adida_imapa_golden.json", "w") as fh:
        json.dump({"source": "independent Python reference, make_golden.py", "series": out},
                  fh, indent=1)


if __name__ == "__main__":
    main()
