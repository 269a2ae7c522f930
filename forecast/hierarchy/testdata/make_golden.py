#!/usr/bin/python3
"""Golden values for forecast/hierarchy, from an independent numpy
implementation of the reconciliation formulas.

Run: /usr/bin/python3 make_golden.py > golden.json (numpy 1.24).

Hierarchy: 2 stores x 3 SKUs, with an attribute "cat" (a, b -> X; c -> Y).
Nodes, in order: total, stores s1 s2, SKUs a b c, cat=X, cat=Y, then the
bottom series s1/a s1/b s1/c s2/a s2/b s2/c (14 nodes, 6 bottom).

Formulas:
- MinT (Wickramasuriya, Athanasopoulos & Hyndman 2019):
  G = (S' W^-1 S)^-1 S' W^-1, reconciled = S G yhat, with
  W = I (ols), diag(S 1) (wls), shrunk covariance (shrink).
- Shrinkage as R's hts::MinT shrink.estim: covm = crossprod(res)/T
  (uncentred), xs = res / sqrt(diag covm),
  v = (crossprod(xs^2) - crossprod(xs)^2 / T) / (T (T-1)), diag(v) = 0,
  d = (cor - I)^2, lambda = clamp(sum v / sum d, 0, 1),
  W = lambda diag(covm) + (1 - lambda) covm.
- Bottom-up: G = [0 | I].
- Top-down, forecast proportions (Athanasopoulos, Ahmed & Hyndman 2009)
  on the tree total -> store -> store x SKU, per step:
  p_j = yhat_store/sum(yhat_stores) * yhat_j/sum(yhat of the store's SKUs).
- Non-negative: reconciled bottom values below zero set to zero, then S b.
- Intervals, projection methods: the residual rows reconciled, E M'
  (M = S G), and each node's radius the split-conformal quantile of its
  column: the ceil((T+1) level)-th smallest absolute value.
- Intervals, top-down: per step, each residual row e reconciled as
  S (e_b + p (e_total - 1'e_b)), p the step's proportions, and each node's
  radius the split-conformal quantile of its column.
"""
import json
import numpy as np

rng = np.random.default_rng(20261203)
stores = ["s1", "s2"]
skus = ["a", "b", "c"]
cat = {"a": "X", "b": "X", "c": "Y"}
bottom = [(s, k) for s in stores for k in skus]
m = len(bottom)

rows = [lambda s, k: True]
rows += [(lambda st: (lambda s, k: s == st))(st) for st in stores]
rows += [(lambda sk: (lambda s, k: k == sk))(sk) for sk in skus]
rows += [(lambda v: (lambda s, k: cat[k] == v))(v) for v in ["X", "Y"]]
rows += [(lambda b: (lambda s, k: (s, k) == b))(b) for b in bottom]
S = np.array([[1.0 if f(s, k) else 0.0 for (s, k) in bottom] for f in rows])
n = S.shape[0]
H = 4
T = 40

level = rng.uniform(5, 20, size=m)
truth_b = level[:, None] + rng.normal(0, 2, size=(m, H))
base = S @ truth_b + rng.normal(0, 3, size=(n, H))
res = rng.normal(0, 1, size=(T, n)) @ np.diag(np.sqrt(S.sum(axis=1)))
res += rng.normal(0, 2.0, size=(T, 1))  # a common shock correlates the nodes
r80 = 1.28 * np.sqrt(S.sum(axis=1))[:, None] * np.ones((1, H)) + rng.uniform(0, 0.2, size=(n, H))
r95 = 1.5 * r80
# A second case where reconciliation goes negative: small SKUs, one
# aggregate forecast far below its members.
base_neg = base.copy()
base_neg[n - m:, :] *= 0.05  # tiny bottom forecasts
base_neg[1, :] = -30.0  # store s1 forecast far below zero


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


G = {
    "bottom_up": np.hstack([np.zeros((m, n - m)), np.eye(m)]),
    "mint_ols": mint_g(np.eye(n)),
    "mint_wls": mint_g(np.diag(S.sum(axis=1))),
    "mint_shrink": mint_g(sigma),
}


def conformal(errs, level):
    a = np.sort(np.abs(errs))
    k = min(int(np.ceil((len(a) + 1) * level)) - 1, len(a) - 1)
    return a[k]


def reconciled_radii(M, level):
    E = res @ M.T
    return np.array([conformal(E[:, i], level) for i in range(n)])[:, None] * np.ones((1, H))


def top_down(b, nonneg):
    pts = np.zeros((n, H))
    rad80 = np.zeros((n, H))
    rad95 = np.zeros((n, H))
    for t in range(H):
        y = np.maximum(b[:, t], 0)
        stores_f = y[1:3]
        p = np.zeros(m)
        for j, (s, k) in enumerate(bottom):
            si = stores.index(s)
            kids = [n - m + stores.index(s) * 3 + q for q in range(3)]
            ps = stores_f[si] / stores_f.sum() if stores_f.sum() > 0 else 0.5
            pk = y[n - m + j] / y[kids].sum() if y[kids].sum() > 0 else 1 / 3
            p[j] = ps * pk
        q = S @ p
        bt = p * b[0, t]
        if nonneg:
            bt = np.maximum(bt, 0)
        pts[:, t] = S @ bt
        eb = res[:, n - m:] + np.outer(res[:, 0] - res[:, n - m:].sum(axis=1), p)
        E = eb @ S.T
        rad80[:, t] = [conformal(E[:, i], 0.8) for i in range(n)]
        rad95[:, t] = [conformal(E[:, i], 0.95) for i in range(n)]
    return pts, rad80, rad95


def case(b, nonneg):
    out = {}
    for name, g in G.items():
        bt = g @ b
        if nonneg:
            bt = np.maximum(bt, 0)
        M = S @ g
        out[name] = {"points": (S @ bt).tolist(),
                     "radius_80": reconciled_radii(M, 0.8).tolist(),
                     "radius_95": reconciled_radii(M, 0.95).tolist()}
    pts, a80, a95 = top_down(b, nonneg)
    out["top_down"] = {"points": pts.tolist(), "radius_80": a80.tolist(), "radius_95": a95.tolist()}
    return out


golden = {
    "source": "make_golden.py (numpy %s)" % np.__version__,
    "bottom": [{"store": s, "sku": k} for s, k in bottom],
    "attributes": {"cat": cat},
    "S": S.tolist(),
    "base": base.tolist(),
    "base_negative": base_neg.tolist(),
    "residuals": res.tolist(),
    "radius_80": r80.tolist(),
    "radius_95": r95.tolist(),
    "lambda": lam,
    "sigma": sigma.tolist(),
    "G": {k: v.tolist() for k, v in G.items()},
    "reconciled": case(base, False),
    "reconciled_nonnegative": case(base_neg, True),
}
print(json.dumps(golden))
