"""statsmodels peer of bench/scale (issue 20).

Fits SimpleExpSmoothing, ExponentialSmoothing (additive weekly season),
ThetaModel and SARIMAX(1,1,1)(1,0,1,7) on every series of a CSV
(date,store,sku,quantity) over the same rolling-origin folds forecastd
backtests (origins h apart, the last fold testing the final h days) and
prints, per model, the CPU seconds (time.process_time) of its fits and
forecasts and the number of fits, as CSV: model,cpu_seconds,fits,failed.
statsmodels has no automatic ARIMA or ETS order selection: these are the
fixed forms closest to forecastd's candidates (the table says which).

    OMP_NUM_THREADS=1 python3 peers_statsmodels.py series.csv 28 3
"""
import sys
import time
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

warnings.filterwarnings("ignore")
path, h, windows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = pd.read_csv(path, dtype={"store": str, "sku": str}).sort_values(["store", "sku", "date"])

MODELS = {
    "SimpleExpSmoothing": lambda y: SimpleExpSmoothing(y, initialization_method="estimated").fit().forecast(h),
    "ExponentialSmoothing(add 7)": lambda y: ExponentialSmoothing(
        y, seasonal="add", seasonal_periods=7, initialization_method="estimated").fit().forecast(h),
    "ThetaModel(7)": lambda y: ThetaModel(y, period=7, method="additive").fit().forecast(h),
    "ARIMA(1 1 1)(1 0 1 7)": lambda y: ARIMA(y, order=(1, 1, 1), seasonal_order=(1, 0, 1, 7)).fit().forecast(h),
}
cpu = {m: 0.0 for m in MODELS}
fits = {m: 0 for m in MODELS}
failed = {m: 0 for m in MODELS}
for _, g in d.groupby(["store", "sku"], sort=True):
    y = g["quantity"].to_numpy(dtype=float)
    n = len(y)
    for j in range(windows - 1, -1, -1):
        end = n - h - j * h
        if end < 14:
            continue
        train = y[:end]
        for m, fit in MODELS.items():
            t0 = time.process_time()
            try:
                np.asarray(fit(train))
            except Exception:  # a failed fit still costs its time
                failed[m] += 1
            cpu[m] += time.process_time() - t0
            fits[m] += 1
print("model,cpu_seconds,fits,failed")
for m in MODELS:
    print(f"{m},{cpu[m]:.4f},{fits[m]},{failed[m]}")
