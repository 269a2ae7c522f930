#!/usr/bin/env python3
"""Brute-force exact interventional Shapley values for treeshap_case.json.

Independent of the Go TreeSHAP walk: for each explained row x and the
background rows R, the game is v(S) = mean_{r in R} f(x_S, r_rest), and the
Shapley value of feature i is the weighted sum over every subset S of the
other features of v(S + i) - v(S), the definition itself (2^M evaluations
per row). The models are walked from their JSON arrays with the rule of
models/ml (x <= threshold goes left). Standard library only.

    cd models/ml && python3 testdata/treeshap_reference.py
writes testdata/treeshap_golden.json.
"""
import itertools
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def leaf(tree, x):
    i = 0
    while tree["feature"][i] >= 0:
        f = tree["feature"][i]
        i = tree["left"][i] if x[f] <= tree["threshold"][i] else tree["right"][i]
    return tree["value"][i]


def predict(kind, model, x):
    if kind == "tree":
        return leaf(model, x)
    if kind == "forest":
        return sum(leaf(t, x) for t in model["trees"]) / len(model["trees"])
    if kind == "boosted":  # raw score, before any log link
        return model["baseline"] + sum(leaf(t, x) for t in model["trees"])
    raise ValueError(kind)


def shapley(kind, model, x, background):
    m = len(x)

    def v(s):
        tot = 0.0
        for r in background:
            z = [x[j] if j in s else r[j] for j in range(m)]
            tot += predict(kind, model, z)
        return tot / len(background)

    cache = {}
    for k in range(m + 1):
        for s in itertools.combinations(range(m), k):
            cache[frozenset(s)] = v(set(s))
    phi = []
    for i in range(m):
        others = [j for j in range(m) if j != i]
        tot = 0.0
        for k in range(m):
            w = math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m)
            for s in itertools.combinations(others, k):
                fs = frozenset(s)
                tot += w * (cache[fs | {i}] - cache[fs])
        phi.append(tot)
    return phi


def main():
    with open(os.path.join(HERE, "treeshap_case.json")) as fh:
        case = json.load(fh)
    out = {}
    for kind in ("tree", "forest", "boosted"):
        model = case[kind]
        out[kind] = {
            "background": [shapley(kind, model, x, case["background"]) for x in case["rows"]],
            "single": [shapley(kind, model, x, [case["background"][0]]) for x in case["rows"]],
        }
    with open(os.path.join(HERE, "treeshap_golden.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
