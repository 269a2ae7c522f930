#!/usr/bin/python3
# Reference scores for accuracy_test.go, computed with numpy and scipy
# (an implementation independent of package accuracy):
#   /usr/bin/python3 golden.py > golden.json
import json
import numpy as np
from scipy.stats import binom

rng = np.random.default_rng(19)
cases = []
for name, n, shift in [("calibrated", 28, 1.0), ("doubled", 28, 2.0), ("short", 7, 1.0), ("zeros", 14, 0.0)]:
    level = rng.uniform(5, 60)
    f = level + rng.normal(0, 0.1 * level, n)
    sd = 0.25 * level
    lo80, hi80 = f - 1.2816 * sd, f + 1.2816 * sd
    lo95, hi95 = f - 1.96 * sd, f + 1.96 * sd
    y = np.maximum(np.round(shift * (level + rng.normal(0, sd, n))), 0)
    train = np.round(level + rng.normal(0, sd, 120))
    m = 7
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    e = y - f
    q = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
    bounds = np.stack([lo95, lo80, f, hi80, hi95], axis=1)
    d = y[:, None] - bounds
    pin = np.mean(np.mean(np.maximum(q * d, (q - 1) * d), axis=1))
    cov80 = (lo80 <= y) & (y <= hi80)
    cov95 = (lo95 <= y) & (y <= hi95)
    wape = float(np.sum(np.abs(e)) / np.sum(np.abs(y))) if np.sum(np.abs(y)) > 0 else None
    cases.append({
        "name": name, "season": m, "train": train.tolist(),
        "forecast": f.tolist(), "lower80": lo80.tolist(), "upper80": hi80.tolist(),
        "lower95": lo95.tolist(), "upper95": hi95.tolist(), "actual": y.tolist(),
        "scale": float(scale), "wape": wape, "mase": float(np.mean(np.abs(e)) / scale),
        "bias": float(np.mean(f - y)), "coverage80": float(np.mean(cov80)), "coverage95": float(np.mean(cov95)),
        "pinball": float(pin), "covered80": int(np.sum(cov80)),
        "binom_p": float(binom.cdf(int(np.sum(cov80)), n, 0.8)),
    })
cdf = [{"k": k, "n": n, "p": p, "cdf": float(binom.cdf(k, n, p))}
       for (k, n, p) in [(0, 28, 0.8), (13, 28, 0.8), (22, 28, 0.8), (27, 28, 0.8), (5, 10, 0.5), (400, 1000, 0.42), (1, 3, 0.99)]]
print(json.dumps({"cases": cases, "binom_cdf": cdf}, indent=1))
