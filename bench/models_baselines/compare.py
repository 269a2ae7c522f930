"""Puts the Go timings (main.go) beside the R and Python peers' (peer.R,
peer.py) and checks that their forecasts agree where they compute the same
thing. Usage: compare.py go.jsonl peer.jsonl [peer.jsonl ...]

Prints a Markdown table, one row per (model, series, implementation): CPU
microseconds per fit, per forecast of 28 steps and their sum, the sum over
Go's (> 1: Go is faster), and the largest absolute difference between the
peer's forecast and Go's. Then the models that are not at least as fast as
their fastest peer. Exits 1 when a Go result is missing, a peer has no Go
counterpart, or a forecast that should agree does not.
"""
import json
import sys

# How each peer's forecast relates to Go's, for the agreement check:
# "exact": the same closed-form computation, equal to rounding;
# "optimised": the same model with parameters found by another optimiser
#     (R's ets Nelder-Mead, statsmodels' L-BFGS, scipy), equal to about 1%;
# "different": another formulation, difference shown, not checked.
DIFFERENT = {
    ("theta", "forecast thetaf()"): "Hyndman & Billah's form; Go's theta is M4 Theta.classic",
    ("theta", "statsmodels ThetaModel"): "Hyndman & Billah's form, statsmodels' deseasonalising",
}
OPTIMISED = {"ses", "theta", "optimized_theta", "adida", "imapa"}
TOL = {"exact": 1e-8, "optimised": 1e-2}
FAMILIES = ["baseline", "exponential smoothing", "theta", "intermittent"]
SERIES = ["daily1826", "hourly700", "sparse1826"]


def load(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def total(r):
    if "total_ns" in r:
        return r["total_ns"]
    return r["fit_ns"] + r["predict_ns"]


def us(ns):
    """Microseconds with three significant digits, without exponents."""
    if ns is None:
        return ""
    v = ns / 1e3
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def main():
    go = {(r["series"], r["model"]): r for r in load(sys.argv[1])}
    peers = {}
    failures = []
    for path in sys.argv[2:]:
        for r in load(path):
            key = (r["series"], r["model"])
            if key not in go:
                failures.append(f"{r['impl']} {r['peer']}: no Go result for {key}")
                continue
            peers.setdefault(key, []).append(r)
    order = sorted(go, key=lambda k: (FAMILIES.index(go[k]["family"]), k[1], SERIES.index(k[0])))
    print("| model | series | implementation | fit µs | forecast µs | total µs | total / Go's | max abs diff |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    slower, slower_phase, no_peer = [], [], []
    for key in order:
        g = go[key]
        gt = total(g)
        print(f"| {key[1]} | {key[0]} | Go | {us(g['fit_ns'])} | {us(g['predict_ns'])} | {us(gt)} | 1 | |")
        rows = sorted(peers.get(key, []), key=total)
        if not rows:
            no_peer.append(key)
        for r in rows:
            d = max(abs(a - b) for a, b in zip(r["forecast"], g["forecast"]))
            if len(r["forecast"]) != len(g["forecast"]):
                failures.append(f"{key} {r['peer']}: {len(r['forecast'])} forecasts, Go has {len(g['forecast'])}")
            scale = max(1.0, max(abs(v) for v in g["forecast"]))
            why = DIFFERENT.get((key[1], r["peer"]))
            kind = "different" if why else ("optimised" if key[1] in OPTIMISED else "exact")
            note = f"{d:.2g}" + (" (other method)" if why else "")
            if kind != "different" and not d <= TOL[kind] * scale:
                failures.append(f"{key} {r['peer']}: forecasts differ by {d:.3g} ({kind}, tolerance {TOL[kind] * scale:.3g})")
                note += " FAIL"
            print(f"| | | {r['impl']}: {r['peer']} | {us(r.get('fit_ns'))} | {us(r.get('predict_ns'))} | "
                  f"{us(total(r))} | {total(r) / gt:.3g} | {note} |")
        if rows and total(rows[0]) < gt:
            slower.append(f"{key[1]} on {key[0]}: Go {us(gt)} µs, {rows[0]['impl']} {rows[0]['peer']} {us(total(rows[0]))} µs")
        for phase in ("fit_ns", "predict_ns"):
            split = [r for r in rows if phase in r]
            best = min(split, key=lambda r: r[phase], default=None)
            if best is not None and best[phase] < g[phase]:
                slower_phase.append(f"{key[1]} on {key[0]}: {phase[:-3]} Go {us(g[phase])} µs, "
                                    f"{best['impl']} {best['peer']} {us(best[phase])} µs")
    print()
    print("Not at least as fast as the fastest peer (fit + forecast):")
    for s in slower or ["none"]:
        print("  " + s)
    print("Slower than a peer in one phase (fit or forecast) only:" if slower_phase else "No phase slower than a peer's.")
    for s in slower_phase:
        print("  " + s)
    if no_peer:
        print("No peer timed:", ", ".join(f"{m} on {s}" for s, m in no_peer))
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
