"""Join the JSON lines of bench/models_ets (Go), peer_r.R (R) and,
optionally, peer_statsmodels.py into a table: CPU seconds per
fit+forecast, R's time over Go's, the model Go and R chose, the holdout
MAE of each, and the fit and the forecast timed apart. Standard library
only.

    python3 bench/models_ets/compare.py go.jsonl r.jsonl [statsmodels.jsonl]
"""
import json
import sys


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                r = json.loads(line)
                out[(r["series"], r["method"])] = r
    return out


def ms(rec, key):
    v = rec.get(key)
    return "%9.3f" % (v * 1e3) if isinstance(v, (int, float)) else "%9s" % "-"


def main():
    go, r = load(sys.argv[1]), load(sys.argv[2])
    sm = load(sys.argv[3]) if len(sys.argv) > 3 else {}
    print("CPU per fit + forecast in seconds, and apart in milliseconds (fit / forecast of the 2m held-out points)")
    print("%-20s %-17s %9s %9s %8s  %-6s %-30s %9s %9s %9s %9s | %9s %9s %9s %9s %9s %9s" % (
        "series", "method", "Go cpu s", "R cpu s", "R/Go", "Go", "R model", "Go MAE", "R MAE",
        "sm cpu s", "sm MAE", "Go fit", "Go fc", "R fit", "R fc", "sm fit", "sm fc"))
    for key in go:
        g = go[key]
        p = r.get(key)
        if p is None:
            continue
        ratio = p["cpu"] / g["cpu"] if g["cpu"] > 0 else float("inf")
        q = sm.get(key, {})
        print("%-20s %-17s %9.4f %9.3f %7.1fx  %-6s %-30s %9.4g %9.4g %9s %9s | %s %s %s %s %s %s" % (
            key[0], key[1], g["cpu"], p["cpu"], ratio, g.get("model", "")[:6],
            p.get("model", "")[:30], g.get("mae", float("nan")), p.get("mae", float("nan")),
            "%.3f" % q["cpu"] if "cpu" in q else "-",
            "%.4g" % q["mae"] if "mae" in q else "-",
            ms(g, "fit_cpu"), ms(g, "forecast_cpu"), ms(p, "fit_cpu"), ms(p, "forecast_cpu"),
            ms(q, "fit_cpu"), ms(q, "forecast_cpu")))


if __name__ == "__main__":
    main()
