#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""revlat_host.py — revoke's userspace on the host, from `kk-revlat host` runs (one JSON object
per line, as kk-revlat prints it; a "method" member, when there is one, splits the runs into
groups that are summarized apart, e.g. two versions of the measurement run in turn).

    revlat_host.py RAW.jsonl

Per group and series: the pooled p50 and p99, the p99's distribution-free 95 % interval, and the
range of the runs' own p99s (the spread between runs, which the pooled interval does not show).
Then each target (revlat_host.c says what each series times):
    flip_us, lean_flip_us  ≤ 5,000 µs at p99: `revoke` from exec to the map write
    daemon_us              ≤ 100 µs at p99: the daemon's control socket, arrival to the write
A target is met when the pooled interval and every run's p99 meet it, missed when the pooled
interval and every run's p99 miss it, else not decidable at this noise. bench/run.sh runs
`kk-revlat host` on the host and bench/report.py takes these targets from here (target_rows)."""
import json
import sys

from report import pct, pct_ci  # the bench's own statistics

SERIES = ["flip_us", "lean_flip_us", "total_us", "lean_total_us", "start_us", "lean_start_us",
          "floor_us", "inproc_us", "socket_us", "daemon_us"]
TARGETS = [("flip_us", 5000, "kakunin-bpf revoke, exec to the map write"),
           ("lean_flip_us", 5000, "kakunin-revoke, exec to the map write"),
           ("daemon_us", 100, "the daemon's control socket, arrival to the map write")]


def summarize(runs):
    """{method: {"runs": n, "series": {name: {n, p50, p99, p99_lo, p99_hi, run_p99: [lo, hi]}}}}
    over the runs with samples of any series ({} when none has); the p99 interval's ends are
    None when n is too small for them."""
    out = {}
    for r in (r for r in runs if any(isinstance(r.get(s), list) and r[s] for s in SERIES)):
        g = out.setdefault(r.get("method", "all"), {"runs": 0, "samples": {}, "p99s": {}})
        g["runs"] += 1
        for s in SERIES:
            v = r.get(s)
            if isinstance(v, list) and v:
                g["samples"].setdefault(s, []).extend(v)
                g["p99s"].setdefault(s, []).append(pct(v, 99))
    for g in out.values():
        series = {}
        for s, v in g.pop("samples").items():
            lo, hi = pct_ci(v, 99)
            p = g["p99s"][s]
            series[s] = {"n": len(v), "p50": pct(v, 50), "p99": pct(v, 99), "p99_lo": lo,
                         "p99_hi": hi, "run_p99": [min(p), max(p)]}
        g.pop("p99s")
        g["series"] = series
    return out


def verdict(s, goal):
    lo, hi = s["run_p99"]
    if s["p99_hi"] is not None and s["p99_hi"] <= goal and hi <= goal:
        return "met"
    if s["p99_lo"] is not None and s["p99_lo"] > goal and lo > goal:
        return "missed"
    return "not decidable at this noise"


def target_rows(summary):
    """The targets as bench/report.py's rows ({name, iv, value, goal, goal_value, verdict, need,
    where}), from summarize() of make bench's host runs ({} or None: "not measured")."""
    g = next(iter((summary or {}).values()), None)
    rows = []
    for s, goal, what in TARGETS:
        x = g and g["series"].get(s)
        iv = x and {"mean": x["p99"], "lo": x["p99_lo"], "hi": x["p99_hi"], "sd": None,
                    "n": x["n"]}
        rows.append({"name": f"revocation's userspace, {what}, p99 (µs)", "iv": iv,
                     "value": x and x["p99"], "goal": f"≤ {goal:,} µs", "goal_value": goal,
                     "verdict": verdict(x, goal) if x else "not measured", "need": None,
                     "where": "this machine, real CPU"})
    return rows


def num(x):
    return "—" if x is None else "%.0f" % x


def lines(summary):
    out = []
    for method, g in summary.items():
        n = g["runs"]
        out.append(f"{method} ({n} run{'' if n == 1 else 's'}), µs: p50, p99 [95 % interval], "
                   "the runs' own p99s")
        for s in SERIES:
            x = g["series"].get(s)
            if x:
                out.append("  %-14s %7s %7s [%s, %s]  %s–%s  (n %d)" % (
                    s, num(x["p50"]), num(x["p99"]), num(x["p99_lo"]), num(x["p99_hi"]),
                    num(x["run_p99"][0]), num(x["run_p99"][1]), x["n"]))
        for s, goal, what in TARGETS:
            x = g["series"].get(s)
            if x:
                out.append("  target: %s ≤ %d µs at p99: %s" % (what, goal, verdict(x, goal)))
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: revlat_host.py RAW.jsonl")
    try:
        with open(sys.argv[1]) as fh:
            runs = [json.loads(x) for x in fh if x.strip()]
    except (OSError, ValueError) as e:
        sys.exit(f"revlat_host: {sys.argv[1]}: {e}")
    s = summarize(runs)
    if not s:
        sys.exit(f"revlat_host: {sys.argv[1]}: no kk-revlat host runs")
    print("\n".join(lines(s)))
