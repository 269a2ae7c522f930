#!/usr/bin/python3
"""Golden values for package ml, from scikit-learn 1.2.

Run once with Debian's Python (pandas 1.5, scikit-learn 1.2):
    cd models/ml/testdata && /usr/bin/python3 make_golden.py
It writes:
  store_item_excerpt.csv  three Kaggle store/item daily series (read by models' tests)
  real.csv                a design matrix of lag/rolling/calendar features of store 1 item 1
  synth.csv               sklearn make_regression data with injected outliers
  collinear_x.csv, illcond_x.csv  synth training rows plus a collinear / nearly collinear column
  golden.json             coefficients of the linear models, kNN predictions, holdout
                          R²/MAE of the trees, forests, HGBT and MLP on fixed splits, and
                          HGBT's bin thresholds and test-row predictions (squared error,
                          Poisson, Tweedie) on the real design.
Each CSV has the target in column "y" then the features; golden.json gives the split.
"""
import json
import zipfile

import numpy as np
import pandas as pd
import scipy.optimize
import sklearn
from sklearn.datasets import make_regression
from sklearn.ensemble import (ExtraTreesRegressor, HistGradientBoostingRegressor,
                              RandomForestRegressor)
from sklearn.linear_model import (ElasticNet, HuberRegressor, Lasso, LinearRegression,
                                  PoissonRegressor, Ridge)
from sklearn.linear_model._huber import _huber_loss_and_gradient
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn._loss.loss import HalfTweedieLoss
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

ZIP = "/work/shared/data/store_item_demand/demand-forecasting-kernels-only.zip"

df = pd.read_csv(zipfile.ZipFile(ZIP).open("train.csv"))
sel = df[((df.store == 1) & (df.item == 1)) | ((df.store == 2) & (df.item == 5))
         | ((df.store == 7) & (df.item == 30))]
sel.to_csv("store_item_excerpt.csv", index=False)

# Real design: store 1 item 1, features from y shifted by one step (no leakage).
s = sel[(sel.store == 1) & (sel.item == 1)].copy()
s["date"] = pd.to_datetime(s["date"])
y = s["sales"].astype(float).reset_index(drop=True)
past = y.shift(1)
real = pd.DataFrame({"y": y})
for k in (1, 7, 14, 28):
    real[f"lag_{k}"] = y.shift(k)
real["roll_mean_7"] = past.rolling(7).mean()
real["roll_mean_28"] = past.rolling(28).mean()
real["roll_std_7"] = past.rolling(7).std()
real["roll_min_7"] = past.rolling(7).min()
real["roll_max_7"] = past.rolling(7).max()
real["day_of_week"] = s["date"].dt.dayofweek.values
real["month"] = s["date"].dt.month.values
real = real.dropna().reset_index(drop=True)
real.to_csv("real.csv", index=False, float_format="%.17g")

# Synthetic dense design with outliers (for Huber and exact kNN: continuous
# features, so no distance ties).
Xs, ys = make_regression(n_samples=300, n_features=8, n_informative=6, noise=5.0,
                         random_state=0)
rng = np.random.RandomState(1)
out = rng.choice(300, 15, replace=False)
ys[out] += rng.normal(0, 200, 15)
synth = pd.DataFrame(Xs, columns=[f"x{j}" for j in range(8)])
synth.insert(0, "y", ys)
synth.to_csv("synth.csv", index=False, float_format="%.17g")

gold = {"sklearn": sklearn.__version__, "splits": {"real": 1300, "synth": 200}}


def split(d, ntrain):
    X = d.drop(columns="y").values
    t = d["y"].values
    return X[:ntrain], t[:ntrain], X[ntrain:], t[ntrain:]


def lin(m):
    return {"coef": m.coef_.tolist(), "intercept": float(m.intercept_)}


linear = {}
for name, d in (("real", real), ("synth", synth)):
    Xtr, ytr, _, _ = split(d, gold["splits"][name])
    linear[f"ols_{name}"] = lin(LinearRegression().fit(Xtr, ytr))
    linear[f"ridge_{name}"] = lin(Ridge(alpha=1.0).fit(Xtr, ytr))
    linear[f"ridge10_{name}"] = lin(Ridge(alpha=10.0).fit(Xtr, ytr))
    linear[f"lasso_{name}"] = lin(Lasso(alpha=0.1, tol=1e-12, max_iter=1_000_000).fit(Xtr, ytr))
    linear[f"enet_{name}"] = lin(ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12,
                                            max_iter=1_000_000).fit(Xtr, ytr))
    # HuberRegressor stops at scipy's default ftol (factr 1e7) long before its
    # gradient is small, so polish its solution on the same objective
    # (sklearn's own _huber_loss_and_gradient) with L-BFGS-B to gtol 1e-10.
    h = HuberRegressor(epsilon=1.35, alpha=1e-4, tol=1e-12, max_iter=100_000).fit(Xtr, ytr)
    w0 = np.r_[h.coef_, h.intercept_, h.scale_]
    bounds = [(None, None)] * (len(w0) - 1) + [(np.finfo(float).eps * 10, None)]
    res = scipy.optimize.minimize(_huber_loss_and_gradient, w0, jac=True, method="L-BFGS-B",
                                  args=(Xtr, ytr, 1.35, 1e-4, np.ones(len(ytr))), bounds=bounds,
                                  options={"ftol": 0, "gtol": 1e-10, "maxiter": 1_000_000,
                                           "maxcor": 50})
    linear[f"huber_{name}"] = {"coef": res.x[:-2].tolist(), "intercept": float(res.x[-2]),
                               "scale": float(res.x[-1]),
                               "max_abs_grad": float(np.abs(res.jac).max())}
# OLS on degenerate designs (the synthetic training rows plus one column):
# "collinear" adds x0 + x1 exactly (rank deficient: lstsq's minimum-norm
# solution); "illcond" adds x0 + 1e-6·noise (full rank, condition ~1e6).
Xtr, ytr, _, _ = split(synth, gold["splits"]["synth"])
extra = {"collinear": Xtr[:, 0] + Xtr[:, 1],
         "illcond": Xtr[:, 0] + 1e-6 * np.random.RandomState(2).normal(size=len(Xtr))}
for name, col in extra.items():
    Xe = np.column_stack([Xtr, col])
    np.savetxt(f"{name}_x.csv", Xe, delimiter=",", fmt="%.17g")
    linear[f"ols_{name}"] = lin(LinearRegression().fit(Xe, ytr))
Xtr, ytr, _, _ = split(real, gold["splits"]["real"])
for a in (1.0, 0.01):
    p = PoissonRegressor(alpha=a, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(Xtr, ytr)
    linear[f"poisson_{a:g}_real"] = lin(p)
gold["linear"] = linear

# kNN on the synthetic set: exact predictions.
Xtr, ytr, Xte, yte = split(synth, gold["splits"]["synth"])
gold["knn"] = {w: KNeighborsRegressor(n_neighbors=5, weights=w).fit(Xtr, ytr).predict(Xte).tolist()
               for w in ("uniform", "distance")}



class TweedieHGBT(HistGradientBoostingRegressor):
    """HistGradientBoostingRegressor trained with HalfTweedieLoss(power).

    scikit-learn 1.2 has the loss (sklearn._loss.loss.HalfTweedieLoss, log link) but no
    "tweedie" loss string for HGBT, which gets its loss from _get_loss. Constructed with
    loss="poisson", so that parameter validation passes and y >= 0, sum(y) > 0 is checked
    (the same domain as Tweedie with 1 < power < 2). power is a plain attribute, not an
    __init__ parameter, so get_params and validation see HGBT's own parameters only.
    """

    power = 1.5

    def _get_loss(self, sample_weight):
        return HalfTweedieLoss(sample_weight=sample_weight, power=self.power)


def hgbt_tweedie(power):
    m = TweedieHGBT(loss="poisson", early_stopping=False, random_state=0)
    m.power = power
    return m


TWEEDIE_POWERS = (1.2, 1.5, 1.8)

# Holdout scores on the real design.
Xtr, ytr, Xte, yte = split(real, gold["splits"]["real"])
sc = StandardScaler().fit(Xtr)
models = {
    "knn_uniform_scaled": (KNeighborsRegressor(n_neighbors=10), True),
    "cart_depth8_leaf5": (DecisionTreeRegressor(max_depth=8, min_samples_leaf=5, random_state=0), False),
    "cart_full": (DecisionTreeRegressor(random_state=0), False),
    "random_forest_100": (RandomForestRegressor(n_estimators=100, random_state=0), False),
    "random_forest_50_depth10_sqrt": (RandomForestRegressor(n_estimators=50, max_depth=10,
                                      max_features="sqrt", random_state=0), False),
    "extra_trees_100": (ExtraTreesRegressor(n_estimators=100, random_state=0), False),
    "hgbt_squared_error": (HistGradientBoostingRegressor(early_stopping=False, random_state=0), False),
    "hgbt_poisson": (HistGradientBoostingRegressor(loss="poisson", early_stopping=False,
                                                   random_state=0), False),
    **{f"hgbt_tweedie_{p:g}": (hgbt_tweedie(p), False) for p in TWEEDIE_POWERS},
    "mlp_100": (MLPRegressor(hidden_layer_sizes=(100,), random_state=0, max_iter=200), True),
}
scores = {}
hgbt_pred = {}
for name, (m, scaled) in models.items():
    a, b = (sc.transform(Xtr), sc.transform(Xte)) if scaled else (Xtr, Xte)
    pred = m.fit(a, ytr).predict(b)
    scores[name] = {"r2": float(r2_score(yte, pred)), "mae": float(mean_absolute_error(yte, pred))}
    if name.startswith("hgbt_"):
        hgbt_pred[name.removeprefix("hgbt_")] = pred
gold["holdout"] = scores

# HGBT's test-row predictions on the real design (default settings: 100 iterations), for
# a per-row comparison: the fit is deterministic (no early stopping, no subsample below
# 200,000 rows), so an implementation with the same binning, splits and losses agrees up
# to rounding. First make sure the Tweedie models really trained with the Tweedie loss,
# and that their predictions tell the losses apart.
for p in TWEEDIE_POWERS:
    m = models[f"hgbt_tweedie_{p:g}"][0]
    assert type(m._loss) is HalfTweedieLoss and m._loss.closs.power == p, (p, m._loss)
    rel = np.abs(hgbt_pred[f"tweedie_{p:g}"] / hgbt_pred["poisson"] - 1)
    assert rel.max() > 0.05, f"Tweedie {p} predictions within {rel.max():.3g} of Poisson's"
    print(f"tweedie {p}: up to {rel.max():.1%} (mean {rel.mean():.1%}) from Poisson's predictions")
assert type(models["hgbt_poisson"][0]._loss).__name__ == "HalfPoissonLoss"
gold["hgbt_predictions_real"] = {k: v.tolist() for k, v in hgbt_pred.items()}
# And the bin thresholds HGBT found on the training rows (duplicates dropped: they are
# empty bins), which an implementation must reproduce to the bit for the splits to agree.
gold["hgbt_bin_thresholds_real"] = [
    np.unique(t).tolist() for t in models["hgbt_squared_error"][0]._bin_mapper.bin_thresholds_]

with open("golden.json", "w") as f:
    json.dump(gold, f, indent=1)
print(json.dumps(scores, indent=1))
