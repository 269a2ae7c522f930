#!/usr/bin/python3
"""Golden values for hierarchy.NewGrouped (M5's grouped structure), from an
independent numpy implementation of the MinT formulas (see make_golden.py).

Run: /usr/bin/python3 make_golden_grouped.py > golden_grouped.json

Bottom: 3 stores (s1, s2 in state CA; s3 in TX) x 4 SKUs, with per-series
attributes dept (a, b -> D1; c, d -> D2), cat (a, b, c -> F; d -> H) and
state (of the store). Nodes, in the order NewGrouped documents: total;
stores; SKUs across stores; per attribute name, sorted (cat, dept, state):
its values across stores, then store x value, left out where it sums the
same series as the store (every store x state); then the bottom series.
MinT: G = (S' W^-1 S)^-1 S' W^-1 with W = I, diag(S 1), and the
Schäfer-Strimmer shrunk covariance of the residuals; reconciled = S G yhat.
"""
import json
import numpy as np

rng = np.random.default_rng(20261203)
stores = ["s1", "s2", "s3"]
skus = ["a", "b", "c", "d"]
attrs = {
    "cat": {"a": "F", "b": "F", "c": "F", "d": "H"},
    "dept": {"a": "D1", "b": "D1", "c": "D2", "d": "D2"},
}
state = {"s1": "CA", "s2": "CA", "s3": "TX"}
bottom = [(s, k) for s in stores for k in skus]
m = len(bottom)


def value(name, s, k):
    return state[s] if name == "state" else attrs[name][k]


nodes = [("_total", "_total", lambda s, k: True)]
nodes += [(st, "_total", (lambda st: lambda s, k: s == st)(st)) for st in stores]
nodes += [("_total", sk, (lambda sk: lambda s, k: k == sk)(sk)) for sk in skus]
for name in ["cat", "dept", "state"]:
    values = sorted({value(name, s, k) for s, k in bottom})
    for v in values:
        nodes.append(("_total", "_%s=%s" % (name, v), (lambda name, v: lambda s, k: value(name, s, k) == v)(name, v)))
    for st in stores:
        for v in sorted({value(name, st, k) for k in skus}):
            members = [k for k in skus if value(name, st, k) == v]
            if len(members) == len(skus):
                continue  # the same series as the store
            nodes.append((st, "_%s=%s" % (name, v), (lambda st, name, v: lambda s, k: s == st and value(name, s, k) == v)(st, name, v)))
nodes += [(b[0], b[1], (lambda b: lambda s, k: (s, k) == b)(b)) for b in bottom]
S = np.array([[1.0 if f(s, k) else 0.0 for (s, k) in bottom] for _, _, f in nodes])
n = S.shape[0]
H, T = 3, 60

level = rng.uniform(5, 20, size=m)
truth_b = level[:, None] + rng.normal(0, 2, size=(m, H))
base = S @ truth_b + rng.normal(0, 3, size=(n, H))
res = rng.normal(0, 1, size=(T, n)) @ np.diag(np.sqrt(S.sum(axis=1)))
res += rng.normal(0, 2.0, size=(T, 1))


def shrink(x):
    t = x.shape[0]
    covm = x.T @ x / t
    sd = np.sqrt(np.diag(covm))
    corm = covm / np.outer(sd, sd)
    xs = x / sd
    v = (1.0 / (t * (t - 1))) * ((xs ** 2).T @ (xs ** 2) - (xs.T @ xs) ** 2 / t)
    np.fill_diagonal(v, 0.0)
    d = (corm - np.eye(x.shape[1])) ** 2
    lam = max(min(v.sum() / d.sum(), 1.0), 0.0)
    return lam * np.diag(np.diag(covm)) + (1 - lam) * covm, lam


sigma, lam = shrink(res)


def mint_g(W):
    Wi = np.linalg.inv(W)
    return np.linalg.inv(S.T @ Wi @ S) @ S.T @ Wi


G = {"mint_ols": mint_g(np.eye(n)), "mint_wls": mint_g(np.diag(S.sum(axis=1))), "mint_shrink": mint_g(sigma)}
series_attrs = [{"store": s, "sku": k, "attributes": {"cat": attrs["cat"][k], "dept": attrs["dept"][k], "state": state[s]}}
                for s, k in bottom]
print(json.dumps({
    "source": "make_golden_grouped.py (numpy %s)" % np.__version__,
    "series": series_attrs,
    "keys": [{"store": s, "sku": k} for s, k, _ in nodes],
    "S": S.tolist(),
    "base": base.tolist(),
    "residuals": res.tolist(),
    "G": {k: v.tolist() for k, v in G.items()},
    "reconciled": {k: (S @ (g @ base)).tolist() for k, g in G.items()},
}))
