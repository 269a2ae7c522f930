"""Join the JSON lines of bench/models_ets (Go) and peer_r.R (R) into a
table: CPU seconds per fit+forecast, the speed-up, the model each chose and
the holdout MAE of each. Standard library only.

    python3 bench/models_ets/compare.py go.jsonl r.jsonl
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


def main():
    go, r = load(sys.argv[1]), load(sys.argv[2])
    print("%-20s %-17s %9s %9s %8s  %-6s %-38s %10s %10s" % (
        "series", "method", "Go cpu s", "R cpu s", "R/Go", "Go", "R model", "Go MAE", "R MAE"))
    for key in go:
        g = go[key]
        p = r.get(key)
        if p is None:
            continue
        ratio = p["cpu"] / g["cpu"] if g["cpu"] > 0 else float("inf")
        print("%-20s %-17s %9.4f %9.3f %7.1fx  %-6s %-38s %10.4g %10.4g" % (
            key[0], key[1], g["cpu"], p["cpu"], ratio, g.get("model", "")[:6],
            p.get("model", "")[:38], g.get("mae", float("nan")), p.get("mae", float("nan"))))


if __name__ == "__main__":
    main()
