#!/usr/bin/python3
"""The peer of global_gbdt: one pooled XGBoost model (Tweedie objective) on
M5-winner-style features built with pandas, as the M5 winners built them for
LightGBM (not installable here), on the same split as bench/global: the
Kaggle store/item data with the last 90 days held out, h = 90, forecast
recursively day by day (each day's forecast becomes the next day's lag).

Prints the WAPE at the bottom (store x item), of store totals and of the
grand total, the aggregates summed from the item forecasts, as
bench/global/main.go does.

    /usr/bin/python3 bench/global/peer_xgboost.py ZIP [--limit N] [--threads T]
"""
import argparse
import time
import zipfile

import numpy as np
import pandas as pd
import xgboost as xgb

H = 90
LAGS = [1, 2, 3, 7, 14, 21, 28]
WINDOWS = [7, 28, 91]
YEAR = 364
TRAIN_DAYS = 730


def features(df):
    """Adds the feature columns to df (sorted by store, item, date); every
    feature of a row reads only earlier days of its series."""
    g = df.groupby(["store", "item"], sort=False)["sales"]
    for k in LAGS + [YEAR]:
        df[f"lag_{k}"] = g.shift(k)
    hist = g.shift(1)
    hg = hist.groupby([df["store"], df["item"]], sort=False)
    for w in WINDOWS:
        r = hg.rolling(w, min_periods=1)
        df[f"mean_{w}"] = r.mean().reset_index(level=[0, 1], drop=True)
        df[f"std_{w}"] = r.std().reset_index(level=[0, 1], drop=True)
        df[f"min_{w}"] = r.min().reset_index(level=[0, 1], drop=True)
        df[f"max_{w}"] = r.max().reset_index(level=[0, 1], drop=True)
    d = df["date"]
    df["dow"] = d.dt.dayofweek
    df["dom"] = d.dt.day
    df["month"] = d.dt.month
    df["week"] = d.dt.isocalendar().week.astype(int)
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zip")
    ap.add_argument("--limit", type=int, default=0, help="first N series in store, item order")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=600)
    a = ap.parse_args()
    t0 = time.time()
    with zipfile.ZipFile(a.zip) as z, z.open("train.csv") as f:
        df = pd.read_csv(f, parse_dates=["date"])
    df = df.sort_values(["store", "item", "date"]).reset_index(drop=True)
    if a.limit:
        keys = df[["store", "item"]].drop_duplicates().head(a.limit)
        df = df.merge(keys, on=["store", "item"]).sort_values(["store", "item", "date"]).reset_index(drop=True)
    last = df["date"].max()
    cut = last - pd.Timedelta(days=H)
    actual = df[df["date"] > cut].copy()
    train = df[df["date"] <= cut].copy()
    # Target encodings of store and item identity and the series level,
    # from the training period only.
    te_store = train.groupby("store")["sales"].mean()
    te_item = train.groupby("item")["sales"].mean()
    recent = train[train["date"] > cut - pd.Timedelta(days=28)].groupby(["store", "item"])["sales"].mean()

    def statics(frame):
        frame["te_store"] = frame["store"].map(te_store)
        frame["te_item"] = frame["item"].map(te_item)
        frame["level_28"] = pd.MultiIndex.from_frame(frame[["store", "item"]]).map(recent.to_dict().get).astype(float)
        return frame

    full = features(train.copy())
    full = statics(full)
    cols = [c for c in full.columns if c not in ("date", "sales")]
    fit = full[full["date"] > cut - pd.Timedelta(days=TRAIN_DAYS)]
    params = {"objective": "reg:tweedie", "tweedie_variance_power": 1.1, "eta": 0.05, "max_depth": 8,
              "min_child_weight": 20, "subsample": 0.8, "colsample_bytree": 0.8, "tree_method": "hist",
              "nthread": a.threads, "seed": 0}
    booster = xgb.train(params, xgb.DMatrix(fit[cols], label=fit["sales"]), num_boost_round=a.rounds)
    t_fit = time.time() - t0
    # Recursive: append one day at a time, rebuilding the features of the
    # last year only (enough for every lag and window).
    hist = train[["date", "store", "item", "sales"]].copy()
    preds = []
    for step in range(1, H + 1):
        day = cut + pd.Timedelta(days=step)
        keys = hist[["store", "item"]].drop_duplicates()
        new = keys.assign(date=day, sales=np.nan)
        tail = hist[hist["date"] > day - pd.Timedelta(days=YEAR + 1)]
        frame = pd.concat([tail, new]).sort_values(["store", "item", "date"]).reset_index(drop=True)
        frame = statics(features(frame))
        row = frame[frame["date"] == day]
        p = booster.predict(xgb.DMatrix(row[cols]))
        new = row[["date", "store", "item"]].assign(sales=np.maximum(p, 0))
        preds.append(new)
        hist = pd.concat([hist, new])
    pred = pd.concat(preds).rename(columns={"sales": "fc"})
    m = actual.merge(pred, on=["date", "store", "item"])
    bottom = np.abs(m["sales"] - m["fc"]).sum() / m["sales"].abs().sum()
    st = m.groupby(["store", "date"])[["sales", "fc"]].sum()
    store = np.abs(st["sales"] - st["fc"]).sum() / st["sales"].abs().sum()
    tot = m.groupby("date")[["sales", "fc"]].sum()
    total = np.abs(tot["sales"] - tot["fc"]).sum() / tot["sales"].abs().sum()
    n = m[["store", "item"]].drop_duplicates().shape[0]
    print(f"{'xgboost_peer':<16} {bottom:8.4f} {store:8.4f} {total:8.4f} {time.time() - t0:10.1f}   "
          f"({n} series, {len(fit)} training rows, fit {t_fit:.0f}s, {a.rounds} rounds, {a.threads} threads)")


if __name__ == "__main__":
    main()
