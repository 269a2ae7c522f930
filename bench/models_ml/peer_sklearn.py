#!/usr/bin/python3
"""scikit-learn 1.2 timings for the models/ml benchmarks (same matrices, same settings).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 peer_sklearn.py [DIR] [SIZES]

DIR is where make_matrix.py wrote the matrices (default /tmp/forecastd_ml_bench); SIZES is
a comma list of small,large (default both). Prints one line per model and size:
    name size fit_ns predict_ns
with the mean CPU time (time.process_time; the machine is shared) of REPS fits (20 small, 1 large) and of the predictions of the test
rows (28 small, 1000 large). Keep the settings in step with bench_test.go's benchModels.
"""
import sys
import time

import numpy as np
from sklearn.ensemble import (ExtraTreesRegressor, HistGradientBoostingRegressor,
                              RandomForestRegressor)
from sklearn.linear_model import (ElasticNet, HuberRegressor, Lasso, LinearRegression,
                                  PoissonRegressor, Ridge)
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/forecastd_ml_bench"
sizes = (sys.argv[2] if len(sys.argv) > 2 else "small,large").split(",")
COLS = 20

# name, scaled, factory: as bench_test.go.
MODELS = [
    ("ols", False, lambda: LinearRegression()),
    ("ridge", False, lambda: Ridge(alpha=1.0)),
    ("lasso", True, lambda: Lasso(alpha=0.1)),
    ("elastic_net", True, lambda: ElasticNet(alpha=0.1, l1_ratio=0.5)),
    ("huber", True, lambda: HuberRegressor()),
    ("poisson_glm", True, lambda: PoissonRegressor(alpha=1e-3)),
    ("knn", True, lambda: KNeighborsRegressor(n_neighbors=10, algorithm="brute")),
    ("cart", False, lambda: DecisionTreeRegressor(max_depth=8, min_samples_leaf=5, random_state=0)),
    ("random_forest", False, lambda: RandomForestRegressor(
        n_estimators=40, max_depth=10, max_features=0.5, min_samples_leaf=2, random_state=0, n_jobs=1)),
    ("extra_trees", False, lambda: ExtraTreesRegressor(
        n_estimators=40, max_depth=10, min_samples_leaf=2, random_state=0, n_jobs=1)),
    ("hgbt", False, lambda: HistGradientBoostingRegressor(early_stopping=False, random_state=0)),
    ("hgbt_poisson", False, lambda: HistGradientBoostingRegressor(
        loss="poisson", early_stopping=False, random_state=0)),
    ("mlp", True, lambda: MLPRegressor(hidden_layer_sizes=(32,), max_iter=50, n_iter_no_change=1000,
                                       random_state=0)),
]

import warnings
warnings.filterwarnings("ignore")

for size in sizes:
    X = np.fromfile(f"{d}/{size}_x.f64", dtype="<f8").reshape(-1, COLS)
    y = np.fromfile(f"{d}/{size}_y.f64", dtype="<f8")
    Xt = np.fromfile(f"{d}/{size}_test_x.f64", dtype="<f8").reshape(-1, COLS)
    sc = StandardScaler().fit(X)
    Xs, Xts = sc.transform(X), sc.transform(Xt)
    reps = 20 if size == "small" else 1
    for name, scaled, make in MODELS:
        a, b = (Xs, Xts) if scaled else (X, Xt)
        t0 = time.process_time()
        for _ in range(reps):
            m = make().fit(a, y)
        fit = (time.process_time() - t0) / reps
        preps = 20
        t0 = time.process_time()
        for _ in range(preps):
            m.predict(b)
        pred = (time.process_time() - t0) / preps
        print(f"{name} {size} {fit * 1e9:.0f} {pred * 1e9:.0f}", flush=True)
