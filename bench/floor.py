#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""floor.py — the floor's figures from kk-floor's raw lines ({"kind": "floor", ...}): what the
least BPF-LSM program costs, beside Landlock. Used by bench/floor.sh (floor.py RAW prints them)
and by bench/report.py (the floor section and the floor beside each target it bounds)."""
import json
import sys

from report import interval, pct, pct_ci  # the bench's own statistics

# (a, b, what): paired differences a - b, ns per operation
DIFFS = [("open-noop", "open-none", "entering a program on file_open"),
         ("open-task", "open-none", "+ finding the task's storage: the bound floor"),
         ("open-landlock", "open-none", "Landlock, 10 rules"),
         ("read-noop", "read-none", "entering a program on file_permission"),
         ("connect-noop", "connect-none", "a no-body program on each of connect's 9 hooks"),
         ("open-inode", "open-task", "a cache hit's per-inode entry (--hit-parts)"),
         ("open-mark", "open-task", "a file's mark (--hit-parts)")]
# (key, a, b, goal): paired ratios a / b and the target each one bounds from below
RATIOS = [("open", "open-noop", "open-none", 1.03),
          ("bound_vs_landlock", "open-task", "open-landlock", 1.0),
          ("noop_vs_landlock", "open-noop", "open-landlock", 1.0),
          ("connect", "connect-noop", "connect-none", 1.03)]


def summarize(rows):
    """{"reps", "runs_per_connect", "ns": {config: iv}, "diff": {"a-b": iv},
    "ratio": {key: iv}, "connect_estimate": iv, "revocation": {n, p50, p99, p99_lo, p99_hi,
    max} or None}, or None without floor lines."""
    by, runs, rev = {}, None, None
    for r in (r for r in rows if r.get("kind") == "floor"):
        if "runs_per_connect" in r:
            runs = r["runs_per_connect"]
        elif "revocation_us" in r:
            rev = r["revocation_us"]
        else:
            by.setdefault(r["config"], {})[r["rep"]] = r["ns_per_op"]
    if not by:
        return None

    def paired(a, b, op):
        xs = [op(by[a][r], by[b][r]) for r in by.get(a, {}) if r in by.get(b, {})]
        return interval(xs) if xs else None

    f = {"reps": max(len(v) for v in by.values()), "runs_per_connect": runs,
         "ns": {c: interval(list(v.values())) for c, v in sorted(by.items())},
         "diff": {f"{a}-{b}": paired(a, b, lambda x, y: x - y) for a, b, _ in DIFFS},
         "ratio": {k: paired(a, b, lambda x, y: x / y) for k, a, b, _ in RATIOS}}
    # A connect's program runs times the cost of entering one in a tight loop: what connect
    # would pay if entering cost there what it costs on a read.
    est = None
    if runs and all(c in by for c in ("read-noop", "read-none", "connect-none")):
        est = [1 + runs * (by["read-noop"][r] - by["read-none"][r]) / by["connect-none"][r]
               for r in by["read-noop"] if r in by["read-none"] and r in by["connect-none"]]
    f["connect_estimate"] = interval(est) if est else None
    f["revocation"] = None
    if rev:
        lo, hi = pct_ci(rev, 99)
        f["revocation"] = {"n": len(rev), "p50": pct(rev, 50), "p99": pct(rev, 99),
                           "p99_lo": lo, "p99_hi": hi, "max": max(rev)}
    return f


def revocation_iv(f):
    """The revocation floor's p99 as an interval (the form below() and the report take)."""
    r = f and f.get("revocation")
    return r and {"mean": r["p99"], "lo": r["p99_lo"], "hi": r["p99_hi"], "sd": None,
                  "n": r["n"]}


def fmt(iv, f):
    if not iv:
        return "—"
    if iv["lo"] is None:
        return f % iv["mean"]
    return (f + " [" + f + ", " + f + "]") % (iv["mean"], iv["lo"], iv["hi"])


def below(iv, goal, who="no program on these hooks"):
    """What a floor's interval says of a target "≤ goal" above it."""
    if iv and iv["lo"] is not None and iv["lo"] > goal:
        return f"missed by the floor itself: {who} meets it here"
    if iv and iv["hi"] is not None and iv["hi"] <= goal:
        return "the floor meets it"
    return "not decidable at this noise"


def lines(f):
    """The floor as text lines (floor.sh's output; report.py's section, in a code block)."""
    out = ["ns per operation, mean [95 % interval]:"]
    out += ["  %-14s %s" % (c, fmt(iv, "%.0f")) for c, iv in f["ns"].items()]
    out.append("paired differences, ns per operation:")
    for a, b, what in DIFFS:
        if f["diff"][f"{a}-{b}"] is None:
            continue  # a configuration this run did not have
        out.append("  %-14s - %-13s %s  (%s)" % (a, b, fmt(f["diff"][f"{a}-{b}"], "%.0f"), what))
    out.append("paired ratios, and the target each bounds:")
    for k, a, b, goal in RATIOS:
        iv = f["ratio"][k]
        out.append("  %-14s / %-13s %s; target ≤ %.2f: %s" % (a, b, fmt(iv, "%.3f"), goal,
                                                                below(iv, goal)))
    if f["connect_estimate"]:
        out.append("  connect, estimated: 1 + %.2f runs x (read-noop - read-none) / connect-none:"
                   " %s" % (f["runs_per_connect"], fmt(f["connect_estimate"], "%.3f")))
    r = f["revocation"]
    if r:
        iv = revocation_iv(f)
        out.append("revocation: a reader spinning on pread() sees a store made on another CPU, "
                   "µs: p50 %.1f, p99 %.1f [%s, %s], max %.1f, n %d; target ≤ 50 µs (p99, map "
                   "update to first EACCES): %s" % (
                       r["p50"], r["p99"], "—" if iv["lo"] is None else "%.1f" % iv["lo"],
                       "—" if iv["hi"] is None else "%.1f" % iv["hi"], r["max"], r["n"],
                       below(iv, 50, "no revocation")))
    out.append("(%d repetitions)" % f["reps"])
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: floor.py RAW.jsonl")
    with open(sys.argv[1]) as fh:
        s = summarize([json.loads(x) for x in fh if x.strip()])
    if not s:
        sys.exit(f"floor: {sys.argv[1]}: no floor lines")
    print("\n".join(lines(s)))
