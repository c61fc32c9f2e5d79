#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""report.py RAW.jsonl OUTDIR — turn bench/run.sh's raw lines into OUTDIR/latest.json (every
number), OUTDIR/latest.md (ratios to baseline with their 95 % intervals, every target met, missed
or not decidable at this noise) and OUTDIR/latest.png (a gnuplot chart of the mean ratios;
skipped, and said so, without gnuplot).

Ratios pair each repetition with the baseline of the same repetition and the same case (workload,
fixture tree, path set): every repetition measures every configuration, so a slow moment of the
machine hits both sides of a ratio. A ratio's figure is the mean of the per-repetition ratios
with a Student t-interval (95 %, two-sided). A target "≤ g" is met when the whole interval is at
or below g, missed when the whole interval is above it, else not decidable at this noise (and
the report says about how many repetitions would decide it if the mean and spread held).
Percentiles (revocation) carry a distribution-free interval from the binomial order statistics."""
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

CONFIGS = ["baseline", "unbound", "bound10", "bound1000", "bound10000",
           "landlock10", "landlock1000", "landlock10000"]
SIZES = [10, 1000, 10000]
TREES = ["tmpfs", "root"]
# Student t, 97.5th percentile, by degrees of freedom (1 .. 30); beyond 30 the normal's 1.96
# plus the first Cornish-Fisher term is within 0.001 of it.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    return T975[df - 1] if df <= 30 else 1.959964 + (1.959964 ** 3 + 1.959964) / (4 * df)


def pct(values, p):
    """The p-th percentile, nearest rank (p99 of 100 samples is the 99th smallest)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def pct_ci(values, p):
    """A distribution-free 95 % interval of the p-th percentile: the order statistics at ranks
    n·q ± 1.96·sqrt(n·q·(1-q)) (normal approximation of the binomial); None ends when n is too
    small for them."""
    n, q = len(values), p / 100
    if not n:
        return None, None
    s = sorted(values)
    h = 1.959964 * math.sqrt(n * q * (1 - q))
    lo, hi = math.floor(n * q - h), math.ceil(n * q + h)
    return (s[lo - 1] if lo >= 1 else None), (s[hi - 1] if hi <= n else None)


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "n": len(values)} if values else None


def interval(values):
    """Mean, 95 % t-interval, sample standard deviation, n of a list (None when empty)."""
    n = len(values)
    if not n:
        return None
    m = statistics.fmean(values)
    if n < 2:
        return {"mean": m, "lo": None, "hi": None, "sd": None, "n": n}
    sd = statistics.stdev(values)
    h = t975(n - 1) * sd / math.sqrt(n)
    return {"mean": m, "lo": m - h, "hi": m + h, "sd": sd, "n": n}


def decide(iv, goal, atleast=False):
    """For a target "≤ goal" (atleast: "≥ goal"): (verdict, repetitions that would decide it).
    Verdicts: "met", "missed", "not decidable at this noise", "not measured"."""
    if not iv:
        return "not measured", None
    lo, hi = iv["lo"], iv["hi"]  # None: that end is open (too few samples to bound it)
    if (lo is not None and lo >= goal) if atleast else (hi is not None and hi <= goal):
        return "met", None
    if (hi is not None and hi < goal) if atleast else (lo is not None and lo > goal):
        return "missed", None
    if iv["sd"] is None:
        return "not decidable at this noise", None
    gap = abs(iv["mean"] - goal)
    need = math.ceil((1.96 * iv["sd"] / gap) ** 2) + 1 if gap > 0 else None
    return "not decidable at this noise", need


def load(path):
    rows = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"report: {path}:{no}: not JSON: {e}")
    return rows


def case_key(r):
    """The case a raw op line measures: workload, fixture tree, path set (the last two only
    where they apply)."""
    k = r["workload"]
    if r.get("fs"):
        k += "@" + r["fs"]
    if r.get("set") is not None:
        k += "/" + str(r["set"])
    return k


def summarize_ops(rows):
    """{config: {case: {"ns_per_op": spread, "ratio": interval, "errors"}}}, plus pooled
    cases: open@TREE (the three path sets' total time, per repetition; configurations with
    one path set use theirs) — the unbound targets' figure."""
    ops = {}
    for r in (r for r in rows if r["kind"] == "op"):
        ops.setdefault(r["config"], {}).setdefault(case_key(r), {})[r["rep"]] = r
    for cfg, per in ops.items():
        for t in TREES:
            cases = [c for c in per if c.startswith(f"open@{t}/")]
            reps = set.intersection(*(set(per[c]) for c in cases)) if cases else set()
            if cases:
                per[f"open@{t}"] = {k: {"ns_per_op": sum(per[c][k]["ns_per_op"] for c in cases),
                                        "errors": sum(per[c][k].get("errors", 0) for c in cases),
                                        "cases": cases} for k in reps}
    base = ops.get("baseline", {})
    table = {}
    for cfg, per in ops.items():
        for case, reps in per.items():
            b = base.get(case, {})
            if cfg != "baseline" and case.count("/") == 0 and case.startswith("open@"):
                # an N-rule configuration's pooled open: against baseline's same set
                one = next(iter(reps.values()), {}).get("cases", [])
                if len(one) == 1:
                    b = base.get(one[0], {})
            ns = [reps[k]["ns_per_op"] for k in sorted(reps)]
            ratios = [reps[k]["ns_per_op"] / b[k]["ns_per_op"] for k in sorted(reps) if k in b]
            table.setdefault(cfg, {})[case] = {
                "ns_per_op": spread(ns), "ratio": interval(ratios),
                "errors": sum(reps[k].get("errors", 0) for k in reps)}
    return ops, table


def paired(ops, a, b, case):
    """Per-repetition ratios of configuration a to configuration b on one case."""
    x, y = ops.get(a, {}).get(case, {}), ops.get(b, {}).get(case, {})
    return interval([x[k]["ns_per_op"] / y[k]["ns_per_op"] for k in sorted(x) if k in y])


def balance(r):
    """The throughput run's books: produced = written + lost in the ring + taken and not
    written. None members when the daemon served no counters."""
    c0, c1 = r.get("counters_before") or {}, r.get("counters_after") or {}

    def delta(pred):
        ks = [k for k in c1 if pred(k)]
        return sum(c1[k] - c0.get(k, 0) for k in ks) if ks else None
    ring = delta(lambda k: k == "kakunin_events_lost_total")
    taken = delta(lambda k: k.startswith("kakunin_daemon_events_lost_total")
                  and 'reason="ring"' not in k)
    written_ctr = delta(lambda k: k == "kakunin_daemon_events_written_total")
    produced = r["producer"]["eacces"] + r["producer"].get("warmup_eacces", 0)
    out = {"produced": produced, "written": r.get("written_path", r["written"]),
           "written_other": r["written"] - r.get("written_path", r["written"]),
           "written_counter": written_ctr, "lost_ring": ring, "lost_taken_not_written": taken}
    if None in (ring, taken):
        out["gap"] = None
        out["balanced"] = None
    else:
        out["gap"] = produced - out["written"] - ring - taken
        out["balanced"] = out["gap"] == 0
    return out


def summarize(rows):
    env = [r for r in rows if r["kind"] == "env"]
    emulated = any(r.get("emulated") for r in env)
    ops, table = summarize_ops(rows)
    done = next((r["reps"] for r in rows if r["kind"] == "ops_done"), None)
    vs_landlock = {}
    for t in TREES:
        for n in SIZES:
            iv = paired(ops, f"bound{n}", f"landlock{n}", f"open@{t}/{n}")
            if iv:
                vs_landlock[f"{n}@{t}"] = iv
    rev = next((r for r in rows if r["kind"] == "revocation"), None)
    revocation = None
    if rev:
        revocation = {"probe": rev.get("probe", "open"), "cut_short": rev.get("cut_short")}
        for k in ("kernel_us", "e2e_us", "floor_us"):
            if k in rev:
                v = rev[k]
                lo, hi = pct_ci(v, 99)
                revocation[k] = {"n": len(v), "p50": pct(v, 50), "p99": pct(v, 99),
                                 "p99_lo": lo, "p99_hi": hi, "max": max(v) if v else None,
                                 "samples": v}
    compile_ = {}
    for r in (r for r in rows if r["kind"] == "compile"):
        c = compile_.setdefault(r["where"], {}).setdefault(str(r["rules"]), {"s": [], "kib": []})
        c["s"].append(r["seconds"])
        c["kib"].append(r["maxrss_kib"])
    compile_ = {w: {n: {"seconds": spread(c["s"]), "seconds_iv": interval(c["s"]),
                        "maxrss_kib": max(c["kib"])}
                    for n, c in per.items()} for w, per in compile_.items()}
    throughput = {}
    for r in (r for r in rows if r["kind"] == "throughput"):
        prod = r["producer"]
        throughput[r["mode"]] = {
            "target_rate": r["target_rate"],
            "produced": prod["eacces"] + prod.get("warmup_eacces", 0),
            "producer_rate": 1e9 / prod["ns_per_op"] if prod["ns_per_op"] else None,
            "written": r.get("written_path", r["written"]), "seconds": r["seconds"],
            "written_per_s": r.get("written_path", r["written"]) / r["seconds"]
            if r["seconds"] > 0 else None,
            "balance": balance(r)}
    pipeline = {}
    for r in (r for r in rows if r["kind"] == "pipeline"):
        pipeline.setdefault(r["where"], []).append(r["events_per_s"])
    pipeline = {w: dict(spread(v), **{"iv": interval(v)}) for w, v in pipeline.items()}
    sign = {r["where"] + "/" + r["mode"]: r for r in rows if r["kind"] == "sign"}
    egress = {r["where"] + "/" + r["mode"]: r for r in rows if r["kind"] == "egress"}
    bpfstats = {r["config"]: {"run_cnt": r["run_cnt"], "run_time_ns": r["run_time_ns"],
                              "ns_per_run": r["run_time_ns"] / r["run_cnt"] if r["run_cnt"] else None}
                for r in rows if r["kind"] == "bpfstats"}
    fstype = {}
    for r in (r for r in rows if r["kind"] == "op" and r.get("fs")):
        fstype[r["fs"]] = r.get("fstype")
    import floor  # imports this module's interval: not at the top, where that is a cycle
    import revlat_host  # the same
    return {"env": env, "emulated": emulated, "reps_done": done, "fstype": fstype, "ops": table,
            "bound_vs_landlock": vs_landlock, "revocation": revocation, "compile": compile_,
            "throughput": throughput, "pipeline": pipeline, "bpfstats": bpfstats, "sign": sign,
            "egress": egress, "floor": floor.summarize(rows), "revlat_host": revlat_host.summarize(
                [r for r in rows if r["kind"] == "revlat_host"])}


def ratio(s, cfg, case):
    try:
        return s["ops"][cfg][case]["ratio"]
    except (KeyError, TypeError):
        return None


def tree_label(s, t):
    ft = s["fstype"].get(t)
    return t if not ft or ft == t else f"{t}, {ft}"


def targets(s):
    """[{name, iv (mean/lo/hi/...), value (a single figure when there is no interval), goal,
    goal_value, verdict, need, where}]"""
    k = "VM, emulated" if s["emulated"] else "native"
    t = []

    import floor
    fl = (s.get("floor") or {}).get("ratio", {})
    revocation_floor = floor.revocation_iv(s.get("floor"))

    def add(name, iv, goal_text, goal, where, value=None, atleast=False, floor=None):
        if iv is not None:
            verdict, need = decide(iv, goal, atleast)
        elif value is not None:
            verdict = "met" if (value >= goal if atleast else value <= goal) else "missed"
            need = None
        else:
            verdict, need = "not measured", None
        t.append({"name": name, "iv": iv, "value": value if iv is None else iv["mean"],
                  "goal": goal_text, "goal_value": goal, "verdict": verdict, "need": need,
                  "where": where, "floor": floor})

    for tr in TREES:
        add(f"unbound open() vs baseline ({tree_label(s, tr)}, the 3 path sets)",
            ratio(s, "unbound", f"open@{tr}"), "≤ 1.03×", 1.03, k,
            floor=fl.get("open") if tr == "tmpfs" else None)
    for w in ("connect", "forkexec"):
        add(f"unbound {w}() vs baseline", ratio(s, "unbound", w), "≤ 1.03×", 1.03, k,
            floor=fl.get("connect") if w == "connect" else None)
    for tr in TREES:
        for n in SIZES:
            add(f"bound open() vs Landlock, {n:,} rules each ({tree_label(s, tr)})",
                s["bound_vs_landlock"].get(f"{n}@{tr}"), "≤ 1.00×", 1.0, k,
                floor=fl.get("bound_vs_landlock") if (n, tr) == (10, "tmpfs") else None)
    for tr in TREES:
        add(f"bound, 1,000 rules, open() vs baseline ({tree_label(s, tr)})",
            ratio(s, "bound1000", f"open@{tr}/1000"), "≤ 1.15×", 1.15, k)
    rev = s["revocation"] or {}
    for key, name, lim in (("kernel_us", "revocation, map update → first EACCES, p99 (µs)", 50),
                           ("e2e_us", "revocation, `revoke` command → first EACCES, p99 (µs)",
                            5000)):
        r = rev.get(key)
        iv = r and {"mean": r["p99"], "lo": r["p99_lo"], "hi": r["p99_hi"], "sd": None,
                    "n": r["n"]}
        add(name, iv, f"≤ {lim:,} µs", lim, k,
            floor=revocation_floor if key == "kernel_us" else None)
    import revlat_host
    t += revlat_host.target_rows(s.get("revlat_host"))
    where = "host" if "host" in s["compile"] else "vm"
    c = s["compile"].get(where, {}).get("10000")
    cw = "this machine, real CPU" if where == "host" else k
    civ = c and c["seconds_iv"] and {kk: (v * 1000 if isinstance(v, float) and kk != "n" else v)
                                     for kk, v in c["seconds_iv"].items()}
    add("policy compile, 10,000 rules, wall time (ms)", civ, "< 100 ms", 100, cw)
    add("policy compile, 10,000 rules, peak memory (MiB)", None, "< 64 MiB", 64, cw,
        value=c and c["maxrss_kib"] / 1024)
    p = s["pipeline"].get("host")
    add("the daemon's per-event work alone (no kernel ring), events/s", p and p["iv"],
        "≥ 1,000,000/s", 1e6, "this machine, real CPU", atleast=True)
    mx, pc = s["throughput"].get("max"), s["throughput"].get("paced")
    add("audit events/s into the file, 2 producers (one run)", None, "≥ 1,000,000/s", 1e6, k,
        value=mx and mx["written_per_s"], atleast=True)
    for mode, r in (("max", mx), ("paced", pc)):
        if not r:
            continue
        b = r["balance"]
        t.append({"name": f"audit books balance ({'flat out' if mode == 'max' else 'paced'}): "
                  "produced = written + lost in the ring + taken and not written",
                  "iv": None, "value": b["gap"], "goal": "gap 0", "goal_value": 0,
                  "verdict": "not measured" if b["balanced"] is None else
                  ("met" if b["balanced"] else "missed"), "need": None, "where": k})
    if pc:
        t.append({"name": f"events lost at a paced rate the producers sustain "
                  f"({pc['target_rate']:,}/s asked, {pc['producer_rate']:,.0f}/s reached)",
                  "iv": None, "value": (pc["balance"]["lost_ring"] or 0) +
                  (pc["balance"]["lost_taken_not_written"] or 0),
                  "goal": "0", "goal_value": 0, "need": None, "where": k,
                  "verdict": "met" if pc["balance"]["lost_ring"] == 0 and
                  pc["balance"]["lost_taken_not_written"] == 0 and
                  pc["producer_rate"] >= 0.95 * pc["target_rate"] else "missed"})
    sg = s.get("sign", {})
    for key, name, where in (
            ("host/work", "signing work per request (RFC 8785, ES256, verify), p99", "this machine, real CPU"),
            ("native/socket", "sign round trip through the signer (bound client), p99", "native"),
            ("vm/socket", "sign round trip through the signer (bound client), p99", "VM, emulated")):
        r = sg.get(key)
        if r or key != "native/socket":
            add(name + " (ms)", None, "≤ 1 ms", 1, where, value=r and r["p99_us"] / 1000)
    return t


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        return (f"{v:.3f}" if abs(v) < 10 else f"{v:,.0f}") + unit
    return f"{v:,}{unit}"


def fmt_iv(iv, digits=3):
    if not iv:
        return "—"
    if iv.get("lo") is None and iv.get("hi") is None:
        return f"{fmt(iv['mean'])} (n={iv['n']})"
    if iv.get("lo") is None or iv.get("hi") is None:
        return f"{fmt(iv['mean'])} [{fmt(iv['lo'])}, {fmt(iv['hi'])}]"
    if abs(iv["mean"]) < 10:
        return f"{iv['mean']:.{digits}f} [{iv['lo']:.{digits}f}, {iv['hi']:.{digits}f}]"
    return f"{iv['mean']:,.0f} [{iv['lo']:,.0f}, {iv['hi']:,.0f}]"


def cell(o):
    if not o or not o["ratio"]:
        return "—"
    return fmt_iv(o["ratio"]) + (f" ({o['errors']} errors)" if o["errors"] else "")


def markdown(s, tg):
    emu = s["emulated"]
    label = " (emulated)" if emu else ""
    out = ["# kakunin-bpf benchmark", ""]
    for e in s["env"]:
        out.append(f"- kernel side: {e['where']}, Linux {e['kernel']}, {e['cpus']} CPUs "
                   f"({e['cpu'] or 'unknown CPU'}), {s['reps_done'] or e['reps']} repetitions"
                   f" of every configuration (at most {e['reps']}"
                   + (f", {e['minutes']} minutes" if e.get("minutes") else "")
                   + f"), scale {e['scale']}")
    if emu:
        out += ["", "**Every kernel-side figure below is emulated**: measured inside the test VM "
                "under QEMU software emulation (TCG, no KVM), because this machine's kernel "
                "refuses BPF-LSM programs. Ratios are more trustworthy than absolute times, but "
                "TCG distorts both; the targets are meant for real hardware."]
    out += ["", "Figures are `mean [95 % interval]` of per-repetition ratios: each repetition "
            "measures every configuration (baseline and Landlock with no program loaded, "
            "unbound and bound with the programs loaded, the two phases back to back), and "
            "each ratio divides by the baseline of the same repetition and the same case. "
            "A target is met when its whole interval meets it, missed when its whole interval "
            "misses it, else not decidable at this noise."]
    for tr in TREES:
        cases = [f"open@{tr}/{n}" for n in SIZES] + [f"open-denied@{tr}"]
        if not any(c in s["ops"].get("baseline", {}) for c in cases):
            continue
        heads = [f"open, {n:,}-rule path set" for n in SIZES] + ["open-denied"]
        out += ["", f"## open() on {tree_label(s, tr)}: time / baseline{label}", "",
                "| configuration | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
        for cfg in CONFIGS:
            if cfg in s["ops"] and any(c in s["ops"][cfg] for c in cases):
                out.append(f"| {cfg} | " + " | ".join(cell(s["ops"][cfg].get(c))
                                                      for c in cases) + " |")
    out += ["", f"## connect() and fork+exec: time / baseline{label}", "",
            "| configuration | connect | forkexec |", "|---|---|---|"]
    for cfg in CONFIGS:
        if cfg in s["ops"] and any(c in s["ops"][cfg] for c in ("connect", "forkexec")):
            out.append(f"| {cfg} | {cell(s['ops'][cfg].get('connect'))} | "
                       f"{cell(s['ops'][cfg].get('forkexec'))} |")
    if s["bound_vs_landlock"]:
        out += ["", f"## bound open() / Landlock open(), the same rules, same repetition{label}",
                "", "| rules | " + " | ".join(tree_label(s, t) for t in TREES) + " |",
                "|---|" + "---|" * len(TREES)]
        for n in SIZES:
            out.append(f"| {n:,} | " + " | ".join(
                fmt_iv(s["bound_vs_landlock"].get(f"{n}@{t}")) for t in TREES) + " |")
    out += ["", f"Median time per operation, ns{label}:", "",
            "| configuration | case | median | min | max | n |", "|---|---|---|---|---|---|"]
    for cfg in CONFIGS:
        for case, o in sorted(s["ops"].get(cfg, {}).items()):
            if o["ns_per_op"] and case not in (f"open@{t}" for t in TREES):  # not pooled
                ns = o["ns_per_op"]
                out.append(f"| {cfg} | {case} | {fmt(ns['median'])} | {fmt(ns['min'])} | "
                           f"{fmt(ns['max'])} | {ns['n']} |")
    out += ["", "An N-rule configuration opens 100 files spread over its N rule directories "
            "(for 10 rules, ten files in each), the same set baseline and unbound open for it. "
            "open-denied under baseline and unbound opens the file (nothing denies it); "
            "bound and Landlock refuse it with EACCES. Landlock on this kernel has no network "
            "rules, so its connect() column measures its file rules' absence of cost only. "
            "On overlayfs file_open runs twice per open() (the overlay's own open of the file "
            "beneath), which Landlock does not pay."]
    if s["bpfstats"]:
        out += ["", f"file_open program, mean run time per call (bpf_stats, tmpfs path sets)"
                f"{label}: " + ", ".join(f"{c} {fmt(v['ns_per_run'], ' ns')}"
                                          for c, v in s["bpfstats"].items())]
    rev = s["revocation"]
    if rev:
        probe = "pread() on an open file" if rev.get("probe") == "pread" else "open()"
        out += ["", f"## Revocation latency, a bound process spinning on {probe}{label}", "",
                "| path | trials | p50 | p99 [95 % interval] | max |", "|---|---|---|---|---|"]
        for key, name in (("kernel_us", "map update returned → first EACCES"),
                          ("e2e_us", "`kakunin-bpf revoke` started → first EACCES"),
                          ("floor_us", "fork+exec+wait of /bin/true (the process-start floor)")):
            r = rev.get(key)
            if r:
                out.append(f"| {name} | {r['n']:,} | {fmt(r['p50'], ' µs')} | "
                           f"{fmt(r['p99'], ' µs')} [{fmt(r['p99_lo'])}, {fmt(r['p99_hi'])}] "
                           f"| {fmt(r['max'], ' µs')} |")
        if rev.get("cut_short"):
            out += ["", "The probe stopped at its time limit (--rev-seconds): the trial counts "
                    "above are what ran."]
    if s["compile"]:
        out += ["", "## Policy compile (`policy check`, process start included)", "",
                "| where | rules | mean [95 % interval] | median | min | max | peak RSS |",
                "|---|---|---|---|---|---|---|"]
        for where, per in s["compile"].items():
            for n, c in sorted(per.items(), key=lambda kv: int(kv[0])):
                sec, iv = c["seconds"], c["seconds_iv"]
                ivs = fmt_iv({kk: (v * 1000 if isinstance(v, float) and kk != "n" else v)
                              for kk, v in iv.items()}, 1) + " ms"
                out.append(f"| {where}{' (emulated)' if where == 'vm' else ''} | {int(n):,} | "
                           f"{ivs} | {sec['median'] * 1000:.1f} ms | {sec['min'] * 1000:.1f} ms | "
                           f"{sec['max'] * 1000:.1f} ms | {c['maxrss_kib'] / 1024:.1f} MiB |")
    if s["throughput"]:
        out += ["", f"## Audit throughput, two producer threads, the ring drained before each "
                f"run{label}", "",
                "| producer | produced | producer rate | written | written/s | lost in the ring "
                "| taken, not written | other lines | gap |", "|---|---|---|---|---|---|---|---|---|"]
        for mode, r in s["throughput"].items():
            b = r["balance"]
            name = "as fast as possible" if mode == "max" else f"paced at {r['target_rate']:,}/s"
            out.append(f"| {name} | {b['produced']:,} | {fmt(r['producer_rate'], '/s')} | "
                       f"{b['written']:,} | {fmt(r['written_per_s'], '/s')} | "
                       f"{fmt(b['lost_ring'])} | {fmt(b['lost_taken_not_written'])} | "
                       f"{b['written_other']:,} | {fmt(b['gap'])} |")
        out += ["", "produced = the producers' denials, warm-up included; written = lines of the "
                "audit file naming the denied file; gap = produced − written − lost in the ring "
                "− taken and not written (the daemon's `kakunin_daemon_events_lost_total` of "
                "every reason but ring; — where the daemon served no such counter). Other "
                "lines (not the producers' events, e.g. the bind) are counted apart; written/s "
                "runs from the first line the file grew by to the last."]
    if s["pipeline"]:
        out += ["", "The daemon's work per event without the kernel (decode, JSON line, SHA-256 "
                "chain, batched writes; bench/kk-evpipe.c), events/s: " + ", ".join(
                    f"{w}{' (emulated)' if w == 'vm' else ' (real CPU)'} mean "
                    f"{fmt_iv(v['iv'])} (min {fmt(v['min'])}, max {fmt(v['max'])})"
                    for w, v in s["pipeline"].items())]
    if s.get("sign"):
        out += ["", "Signing latency (bench/kk-signlat.c), µs: " + "; ".join(
            f"{k}: p50 {r['p50_us']:,.0f}, p90 {r['p90_us']:,.0f}, p99 {r['p99_us']:,.0f}, "
            f"max {r['max_us']:,.0f} over {r['n']:,}" for k, r in s["sign"].items())]
    eg = s.get("egress", {})
    for w in sorted({k.split("/")[0] for k in eg}):
        r, d = eg.get(w + "/relay"), eg.get(w + "/direct")
        if not r or not d:
            continue
        out += ["", f"Egress ({w}{', emulated' if w == 'vm' else ''}; bench/kk-egresslat.c): a new "
                f"connection and one request, p50 {r['p50_us'] / 1000:,.1f} ms through the egress vs "
                f"{d['p50_us'] / 1000:,.1f} ms direct TLS (added {(r['p50_us'] - d['p50_us']) / 1000:,.1f} ms; "
                f"p99 {r['p99_us'] / 1000:,.1f} vs {d['p99_us'] / 1000:,.1f} ms, n {r['n']:,}); "
                f"one connection, {r['mib']} MiB: {r['mib_per_s']:,.1f} MiB/s relayed vs "
                f"{d['mib_per_s']:,.1f} MiB/s direct."]
    import floor
    if s.get("floor"):
        out += ["", f"## The floor: the least a BPF-LSM program costs here{label}", "",
                "bench/kk-floor.c's own programs, kakunin-bpf not loaded, all in one run and "
                "paired by repetition (bench/floor.sh): no-body programs on file_open, "
                "file_permission and the 9 hooks of a connect, one that only finds its task's "
                "storage (the first step of any bound decision), Landlock with 10 rules; and a "
                "reader spinning on pread() that watches a word of shared memory (the least any "
                "revocation takes). A target the floor misses cannot be met here by any program "
                "on those hooks; the targets below show the floor that bounds them.", "",
                "```"] + floor.lines(s["floor"]) + ["```"]
    out += ["", "## Targets", "", "| target | measured [95 % interval] | goal | where | |",
            "|---|---|---|---|---|"]
    for x in tg:
        v = fmt_iv(x["iv"]) if x["iv"] else fmt(x["value"])
        verdict = {"missed": "**missed**", "not decidable at this noise":
                   "*not decidable at this noise*"}.get(x["verdict"], x["verdict"])
        if x["need"]:
            verdict += f" (~{x['need']:,} repetitions would decide it)"
        if x.get("floor"):
            who = "no revocation" if "revocation" in x["name"] else "no program on these hooks"
            verdict += (f"; floor {fmt_iv(x['floor'])}: "
                        f"{floor.below(x['floor'], x['goal_value'], who)}")
        out.append(f"| {x['name']} | {v} | {x['goal']} | {x['where']} | {verdict} |")
    for what in ("missed", "not decidable at this noise"):
        names = [x["name"] for x in tg if x["verdict"] == what]
        if names:
            out += ["", f"{what.capitalize()}: " + "; ".join(names) + "."]
    return "\n".join(out) + "\n"


def chart(s, outdir):
    """A clustered bar chart of mean ratios, or the reason there is none."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not found (scripts/deps.sh installs gnuplot-nox): no chart"
    cols = [f"open@{t}" for t in TREES] + ["open-denied@tmpfs", "connect", "forkexec"]
    dat = os.path.join(outdir, "latest-chart.dat")
    with open(dat, "w") as f:
        f.write("config " + " ".join(c.replace("@", "-") for c in cols) + "\n")
        for cfg in CONFIGS:
            if cfg in s["ops"]:
                f.write(cfg + " " + " ".join(
                    f"{(ratio(s, cfg, c) or {}).get('mean') or 0:.4f}" for c in cols) + "\n")
    title = "kakunin-bpf: time per operation / baseline (mean of paired ratios)" + (
        ", emulated (QEMU TCG)" if s["emulated"] else "")
    script = f"""
set terminal pngcairo size 1100,560 noenhanced
set output '{os.path.join(outdir, "latest.png")}'
set title '{title}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside top center horizontal autotitle columnhead
set ylabel 'ratio to baseline'
set yrange [0:*]
set grid ytics
set xtics rotate by -25 offset -1,0
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2
plot for [i=2:{len(cols) + 1}] '{dat}' using i:xtic(1)
"""
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode:
        return f"gnuplot failed: {r.stderr.strip().splitlines()[-1] if r.stderr else r.returncode}"
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RAW.jsonl OUTDIR")
    raw, outdir = sys.argv[1:]
    s = summarize(load(raw))
    tg = targets(s)
    s["targets"] = tg
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "latest.json"), "w") as f:
        json.dump(s, f, indent=1)
    md = markdown(s, tg)
    problem = chart(s, outdir)
    if problem:
        md += f"\n(chart: {problem})\n"
    else:
        md += "\n![mean ratios](latest.png)\n"
    with open(os.path.join(outdir, "latest.md"), "w") as f:
        f.write(md)
    print(md, end="")
    if problem:
        print(f"report: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
