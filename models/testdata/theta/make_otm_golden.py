"""Independent reference for OptimizedTheta (models/theta.go).

Run once from models/testdata/theta, after make_golden.R:
    /usr/bin/python3 make_otm_golden.py
Reads golden.json (series, M4 seasonality decision and R's seasonal indices)
and writes otm_golden.json.

The model is the static Optimised Theta Model of Fiorucci et al. (2016) in
its theta-line form, straight from the definition, on the M4-style
seasonally adjusted data:
    T_t = A + B t (least squares, t = 1..n)
    Z_t = theta*x_t + (1 - theta)*T_t,  l_t = l_{t-1} + alpha*(Z_t - l_{t-1})
    xhat_t = (1 - 1/theta)*T_t + l_{t-1}/theta
minimising the mean squared one-step error over alpha in [1e-4, 0.9999],
theta in [1, 1e6] and l0, by a grid over (alpha, theta) with l0 profiled
by least squares, then scipy Nelder-Mead on all three parameters from the
best grid points. (The Go code instead solves for 1/theta and l0/theta in
closed form inside a search over alpha.)
"""
import json

import numpy as np
from scipy.optimize import minimize

ALO, AHI, TLO, THI = 1e-4, 0.9999, 1.0, 1e6


def trend(x):
    t = np.arange(1, len(x) + 1, dtype=float)
    b, a = np.polyfit(t, x, 1)
    return a, b


def errors(x, T, alpha, theta, l0):
    # plain floats: numpy scalar indexing in a Python loop is ~10x slower
    xs, ts = x.tolist(), T.tolist()
    w = 1 - 1 / theta
    l = l0
    e = [0.0] * len(xs)
    for i, (xv, tv) in enumerate(zip(xs, ts)):
        e[i] = xv - (w * tv + l / theta)
        l += alpha * (theta * xv + (1 - theta) * tv - l)
    return np.array(e), l


def mse(p, x, T):
    alpha, theta, l0 = p
    if not (ALO <= alpha <= AHI and TLO <= theta <= THI):
        return np.inf
    e, _ = errors(x, T, alpha, theta, l0)
    return float(np.mean(e * e))


def best_l0(x, T, alpha, theta):
    # errors are affine in l0: e = e(0) - c*l0 with c = e(0) - e(1)
    e0, _ = errors(x, T, alpha, theta, 0.0)
    e1, _ = errors(x, T, alpha, theta, 1.0)
    c = e0 - e1
    return float(np.dot(e0, c) / np.dot(c, c))


def fit(x):
    a, b = trend(x)
    T = a + b * np.arange(1, len(x) + 1)
    cands = []
    for alpha in [0.0001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.9999]:
        for theta in [1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0]:
            l0 = best_l0(x, T, alpha, theta)
            cands.append((mse((alpha, theta, l0), x, T), (alpha, theta, l0)))
    cands.sort(key=lambda c: c[0])
    best = cands[0]
    for _, p0 in cands[:2]:
        r = minimize(mse, p0, args=(x, T), method="Nelder-Mead",
                     options={"xatol": 1e-10, "fatol": 1e-14, "maxfev": 4000})
        if r.fun < best[0]:
            best = (r.fun, tuple(r.x))
    alpha, theta, l0 = best[1]
    return a, b, alpha, theta, l0, best[0], T


def main():
    with open("golden.json") as fh:
        src = json.load(fh)
    out = []
    for s in src["series"]:
        y = np.asarray(s["y"], float)
        m, h = s["season"], s["h"]
        fig = s["m4"]["figure"] if s["m4"]["seasonal"] else None
        x = y / np.array([fig[i % m] for i in range(len(y))]) if fig else y.copy()
        a, b, alpha, theta, l0, best, T = fit(x)
        _, ln = errors(x, T, alpha, theta, l0)
        n = len(x)
        f = [(1 - 1 / theta) * (a + b * (n + j)) + ln / theta for j in range(1, h + 1)]
        if fig:
            f = [v * fig[(n + j) % m] for j, v in enumerate(f)]
        out.append({"id": s["id"], "alpha": alpha, "theta": theta, "mse": best, "forecast": f})
    with open("otm_golden.json", "w") as fh:
        json.dump({"source": "independent Python reference, make_otm_golden.py", "series": out}, fh, indent=1)


if __name__ == "__main__":
    main()
