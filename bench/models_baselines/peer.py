"""Python peers of the models timed by main.go, on the same series.

Run with Debian's Python (numpy, pandas, scipy, statsmodels 0.13), from the
repository root:
    /usr/bin/python3 bench/models_baselines/peer.py [model,model,...]
Prints one JSON line per (series, model, peer), as main.go does: fit and
forecast timed apart in CPU time (time.process_time, this process), each
repeated in ROUNDS rounds (default 3) of at least MIN_CPU seconds (default
0.05), the fastest round reported, per call.

Peers:
  numpy / pandas one-liners for the baselines (the code a Python user
      would write: there is no library call for a seasonal naive forecast);
  statsmodels for the M4-style seasonal adjustment (acf + seasonal_decompose,
      as R's acf and decompose), SimpleExpSmoothing and ThetaModel;
  hand-written numpy/scipy for optimized_theta, croston, tsb, adida and
      imapa, which have no Python library here (statsforecast is not
      installed): the definitions of models/testdata/theta/make_otm_golden.py
      and models/testdata/intermittent/make_golden.py, with the smoothing
      recursions run by scipy.signal.lfilter instead of Python loops.
"""
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import minimize, minimize_scalar
from scipy.signal import lfilter
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.holtwinters import SimpleExpSmoothing
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf
from statsmodels.tsa.forecasting.theta import ThetaModel

H = 28
MIN_CPU = float(os.environ.get("MIN_CPU", "0.05"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
INTERMITTENT = {"croston", "croston_sba", "tsb", "adida", "imapa"}


def load_series():
    """The series of main.go's loadSeries; keep in step."""
    with open("models/testdata/theta/golden.json") as fh:
        h1 = next(s["y"] for s in json.load(fh)["series"] if s["id"] == "H1")
    out = [
        ("daily1826", 7, False, np.loadtxt("models/testdata/theta/kaggle_store1_item1.txt")),
        ("hourly700", 24, False, np.asarray(h1, float)),
        ("sparse1826", 7, True, np.loadtxt("bench/models_baselines/testdata/intermittent1826.txt")),
    ]
    assert [len(s[3]) for s in out] == [1826, 700, 1826]
    return out


# ---- M4-style seasonal adjustment (SeasonalityTest + decompose) ----

def m4_figure(y, m):
    """The multiplicative seasonal indices of y, position i for the points
    t = i (mod m) from y[0], where the M4 90% autocorrelation test finds
    seasonality; None otherwise."""
    n = len(y)
    if m <= 1 or n < 3 * m or math.floor(10 * math.log10(n)) < m:
        return None
    r = acf(y, nlags=m, fft=False)
    limit = 1.645 * math.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / n)
    if not abs(r[m]) > limit:
        return None
    return seasonal_decompose(y, model="multiplicative", period=m).seasonal[:m]


def adjust(y, m):
    fig = m4_figure(y, m)
    return (y if fig is None else y / np.resize(fig, len(y))), fig


def reseason(f, n, fig):
    if fig is None:
        return f
    return f * fig[(n + np.arange(len(f))) % len(fig)]


# ---- SES recursions with lfilter: l_t = l_{t-1} + a*(x_t - l_{t-1}) ----

def ses_levels(x, alpha, l0):
    """The levels l_1..l_n after each of x, from l0."""
    return lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * l0])[0]


# ---- optimised Theta (make_otm_golden.py's search) ----

ALO, AHI, TLO, THI = 1e-4, 0.9999, 1.0, 1e6


def otm_errors(x, T, alpha, theta, l0):
    lv = ses_levels(theta * x + (1 - theta) * T, alpha, l0)
    prev = np.concatenate(([l0], lv[:-1]))
    return x - ((1 - 1 / theta) * T + prev / theta), lv[-1]


def otm_mse(p, x, T):
    alpha, theta, l0 = p
    if not (ALO <= alpha <= AHI and TLO <= theta <= THI):
        return np.inf
    e, _ = otm_errors(x, T, alpha, theta, l0)
    return float(np.mean(e * e))


def otm_best_l0(x, T, alpha, theta):
    e0, _ = otm_errors(x, T, alpha, theta, 0.0)
    e1, _ = otm_errors(x, T, alpha, theta, 1.0)
    c = e0 - e1
    return float(np.dot(e0, c) / np.dot(c, c))


def otm_fit(y, m):
    x, fig = adjust(y, m)
    t = np.arange(1, len(x) + 1, dtype=float)
    b, a = np.polyfit(t, x, 1)
    T = a + b * t
    cands = []
    for alpha in [0.0001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.9999]:
        for theta in [1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0]:
            l0 = otm_best_l0(x, T, alpha, theta)
            cands.append((otm_mse((alpha, theta, l0), x, T), (alpha, theta, l0)))
    cands.sort(key=lambda c: c[0])
    best = cands[0]
    for _, p0 in cands[:2]:
        r = minimize(otm_mse, p0, args=(x, T), method="Nelder-Mead",
                     options={"xatol": 1e-10, "fatol": 1e-14, "maxfev": 4000})
        if r.fun < best[0]:
            best = (r.fun, tuple(r.x))
    return a, b, best[1], fig


def otm_predict(s, y, m):
    a, b, (alpha, theta, l0), fig = s
    x = y if fig is None else y / np.resize(fig, len(y))
    n = len(x)
    T = a + b * np.arange(1, n + 1)
    _, ln = otm_errors(x, T, alpha, theta, l0)
    f = (1 - 1 / theta) * (a + b * np.arange(n + 1, n + H + 1)) + ln / theta
    return reseason(f, n, fig)


# ---- intermittent demand (make_golden.py's definitions) ----

def croston(y, alpha=0.1):
    pos = np.flatnonzero(y > 0)
    sizes = y[pos]
    gaps = np.diff(np.concatenate(([-1], pos))).astype(float)
    z = ses_levels(sizes[1:], alpha, sizes[0])[-1] if len(sizes) > 1 else sizes[0]
    p = ses_levels(gaps[1:], alpha, gaps[0])[-1] if len(gaps) > 1 else gaps[0]
    return z / p


def tsb(y, alpha=0.1, beta=0.1):
    first = int(np.flatnonzero(y > 0)[0])
    rest = y[first + 1:]
    # z moves only at demands; p every period, towards 1 or 0.
    sizes = rest[rest > 0]
    z = ses_levels(sizes, alpha, y[first])[-1] if len(sizes) else y[first]
    p = ses_levels((rest > 0).astype(float), beta, 1.0 / (first + 1))[-1] if len(rest) else 1.0 / (first + 1)
    return p * z


def agg_level(y):
    idx = np.flatnonzero(y > 0) + 1
    k = int(math.floor(idx[-1] / len(idx) + 0.5))
    return max(1, min(k, len(y)))


def aggregate(y, k):
    nb = len(y) // k
    return y[len(y) - nb * k:].reshape(nb, k).sum(axis=1)


def ses_sse(alpha, x):
    lv = ses_levels(x[1:], alpha, x[0])
    e = x[1:] - np.concatenate(([x[0]], lv[:-1]))
    return float(np.dot(e, e))


def ses_alpha(x):
    if len(x) < 3:
        return 0.2
    r = minimize_scalar(ses_sse, bounds=(0.1, 0.3), args=(x,), method="bounded",
                        options={"xatol": 1e-12})
    return 0.1 if ses_sse(0.1, x) <= r.fun else r.x


def level_forecast(y, k, alpha):
    x = aggregate(y, k)
    return (ses_levels(x[1:], alpha, x[0])[-1] if len(x) > 1 else x[0]) / k


def adida_fit(y):
    k = agg_level(y)
    return k, ses_alpha(aggregate(y, k))


def imapa_fit(y):
    return [ses_alpha(aggregate(y, k)) for k in range(1, agg_level(y) + 1)]


def imapa_predict(alphas, y):
    return np.mean([level_forecast(y, k, a) for k, a in enumerate(alphas, 1)])


def ses_fit(y, m):
    x, fig = adjust(y, m)
    return SimpleExpSmoothing(x, initialization_method="estimated").fit(), fig


def theta_model_fit(y, m):
    return ThetaModel(y, period=m).fit()


# Each peer: (model, peer, fit(y, m) -> state, predict(state, y, m) -> forecast),
# or (model, peer, None, forecast(y, m)) for a peer with nothing to fit.
# The pandas peer gets the series as a pandas Series, as a pandas user holds it.
PEERS = [
    ("naive", "numpy", lambda y, m: y[-1], lambda s, y, m: np.full(H, s)),
    ("seasonal_naive", "numpy", lambda y, m: y[-m:], lambda s, y, m: np.resize(s, H)),
    ("mean", "numpy", lambda y, m: y.mean(), lambda s, y, m: np.full(H, s)),
    ("window_average", "numpy", lambda y, m: y[-28:].mean(), lambda s, y, m: np.full(H, s)),
    ("window_average", "pandas rolling(28)", lambda y, m: y.rolling(28).mean().iloc[-1],
     lambda s, y, m: np.full(H, s)),
    ("seasonal_window_average", "numpy", lambda y, m: y[-4 * m:].reshape(4, m).mean(axis=0),
     lambda s, y, m: np.resize(s, H)),
    ("drift", "numpy", lambda y, m: (y[-1], (y[-1] - y[0]) / (len(y) - 1)),
     lambda s, y, m: s[0] + s[1] * np.arange(1, H + 1)),
    ("naive2", "statsmodels decompose + numpy",
     lambda y, m: adjust(y, m),
     lambda s, y, m: reseason(np.full(H, s[0][-1]), len(y), s[1])),
    ("ses", "statsmodels SimpleExpSmoothing", ses_fit,
     lambda s, y, m: reseason(np.asarray(s[0].forecast(H)), len(y), s[1])),
    ("theta", "statsmodels ThetaModel", theta_model_fit, lambda s, y, m: np.asarray(s.forecast(H))),
    ("optimized_theta", "numpy/scipy, hand-written", otm_fit, otm_predict),
    # Croston and TSB have nothing to fit (fixed weights): forecast only.
    ("croston", "numpy/scipy, hand-written", None, lambda y, m: np.full(H, croston(y))),
    ("croston_sba", "numpy/scipy, hand-written", None, lambda y, m: np.full(H, croston(y) * (1 - 0.1 / 2))),
    ("tsb", "numpy/scipy, hand-written", None, lambda y, m: np.full(H, tsb(y))),
    ("adida", "numpy/scipy, hand-written", lambda y, m: adida_fit(y),
     lambda s, y, m: np.full(H, level_forecast(y, s[0], s[1]))),
    ("imapa", "numpy/scipy, hand-written", lambda y, m: imapa_fit(y),
     lambda s, y, m: np.full(H, imapa_predict(s, y))),
]


def measure(f):
    """Calls f once to warm up, then grows n until n calls use MIN_CPU
    seconds, and times ROUNDS rounds of n calls; returns the nanoseconds per
    call of the fastest round (the one least disturbed by other work on a
    shared machine) and n."""
    f()
    n, best, done = 1, math.inf, 0
    while done < ROUNDS:
        t0 = time.process_time()
        for _ in range(n):
            f()
        dt = time.process_time() - t0
        if dt < MIN_CPU and n < 10_000_000:
            nxt = 100 * n
            if dt > MIN_CPU / 100:
                nxt = min(nxt, int(1.2 * n * MIN_CPU / dt) + 1)
            n = max(nxt, 2 * n)
            continue
        done += 1
        best = min(best, 1e9 * dt / n)
    return best, n


def main():
    only = set(sys.argv[1].split(",")) if len(sys.argv) > 1 and sys.argv[1] else None
    # statsmodels warns on every SimpleExpSmoothing fit that ends on a bound.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, m, sparse, y in load_series():
        for model, peer, fit, predict in PEERS:
            if only is not None and model not in only:
                continue
            if sparse and model not in INTERMITTENT:
                continue
            data = pd.Series(y) if peer.startswith("pandas") else y
            rec = {"impl": "Python", "peer": peer, "series": name, "model": model}
            if fit is None:
                rec["total_ns"], rec["total_reps"] = measure(lambda: predict(data, m))
                fc = predict(data, m)
            else:
                rec["fit_ns"], rec["fit_reps"] = measure(lambda: fit(data, m))
                state = fit(data, m)
                rec["predict_ns"], rec["predict_reps"] = measure(lambda: predict(state, data, m))
                fc = predict(state, data, m)
            rec["forecast"] = [float(v) for v in np.asarray(fc)]
            print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
