#!/usr/bin/python3
"""scikit-learn 1.2 timings for the models/ml benchmarks (same matrices, same settings).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 peer_sklearn.py [DIR] [SIZES]
        [--models NAME,...] [--fit-reps N] [--count C] [--no-predict]

DIR is where make_matrix.py wrote the matrices (default /tmp/forecastd_ml_bench); SIZES is
a comma list of small,large (default both). Prints one line per model and size:
    name size fit_ns predict_ns
with the mean CPU time (time.process_time; the machine is shared) of REPS fits (20 small, 1 large
but 20 for kNN, whose fit only checks its input; --fit-reps overrides, to match
`go test -benchtime Nx`) and of 20 predictions of the test
rows (28 small, 1000 large; predict_ns is 0 with --no-predict). --models keeps only the named
models; --count repeats each measurement (one line each, like `go test -count`).
Keep the settings in step with bench_test.go's benchModels.
"""
import argparse
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

ap = argparse.ArgumentParser()
ap.add_argument("dir", nargs="?", default="/tmp/forecastd_ml_bench")
ap.add_argument("sizes", nargs="?", default="small,large")
ap.add_argument("--models", help="comma list of model names (default all)")
ap.add_argument("--fit-reps", type=int, help="fits per measurement (default 20 small, 1 large)")
ap.add_argument("--count", type=int, default=1, help="measurements per model and size")
ap.add_argument("--no-predict", action="store_true", help="time fits only")
args = ap.parse_args()
d = args.dir
sizes = args.sizes.split(",")
only = set(args.models.split(",")) if args.models else None
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
    for name, scaled, make in MODELS:
        if only is not None and name not in only:
            continue
        # kNN's fit takes about 1 ms even on the large design: one reading
        # of process_time would be mostly noise, so as many as run.sh gives Go.
        reps = args.fit_reps or (20 if size == "small" or name == "knn" else 1)
        a, b = (Xs, Xts) if scaled else (X, Xt)
        for _ in range(args.count):
            t0 = time.process_time()
            for _ in range(reps):
                m = make().fit(a, y)
            fit = (time.process_time() - t0) / reps
            pred = 0.0
            if not args.no_predict:
                preps = 20
                t0 = time.process_time()
                for _ in range(preps):
                    m.predict(b)
                pred = (time.process_time() - t0) / preps
            print(f"{name} {size} {fit * 1e9:.0f} {pred * 1e9:.0f}", flush=True)
