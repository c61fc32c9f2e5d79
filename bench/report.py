#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""report.py RAW.jsonl OUTDIR — turn bench/run.sh's raw lines into OUTDIR/latest.json (every
number), OUTDIR/latest.md (ratios to baseline with min/median/max, the targets met or missed)
and OUTDIR/latest.png (a gnuplot chart of the median ratios; skipped, and said so, without
gnuplot).

Ratios pair each repetition with the baseline of the same repetition (the configurations ran
interleaved), so a slow moment of the machine hits both sides of a ratio."""
import json
import os
import shutil
import statistics
import subprocess
import sys

CONFIGS = ["baseline", "unbound", "bound10", "bound1000", "bound10000",
           "landlock10", "landlock1000", "landlock10000"]
WORKLOADS = ["open", "open-denied", "connect", "forkexec"]


def pct(values, p):
    """The p-th percentile, nearest rank (p99 of 100 samples is the 99th smallest)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def spread(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "n": len(values)} if values else None


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


def summarize(rows):
    env = [r for r in rows if r["kind"] == "env"]
    emulated = any(r.get("emulated") for r in env)
    ops = {}
    for r in (r for r in rows if r["kind"] == "op"):
        ops.setdefault(r["config"], {}).setdefault(r["workload"], {})[r["rep"]] = r
    base = ops.get("baseline", {})
    table = {}
    for cfg, per_w in ops.items():
        for w, reps in per_w.items():
            ns = [reps[k]["ns_per_op"] for k in sorted(reps)]
            ratios = [reps[k]["ns_per_op"] / base[w][k]["ns_per_op"]
                      for k in sorted(reps) if k in base.get(w, {})]
            errors = sum(reps[k].get("errors", 0) for k in reps)
            table.setdefault(cfg, {})[w] = {"ns_per_op": spread(ns), "ratio": spread(ratios),
                                            "errors": errors}
    rev = next((r for r in rows if r["kind"] == "revocation"), None)
    revocation = None
    if rev:
        revocation = {k: {"n": len(rev[k]), "p50": pct(rev[k], 50), "p99": pct(rev[k], 99),
                          "max": max(rev[k]) if rev[k] else None, "samples": rev[k]}
                      for k in ("kernel_us", "e2e_us")}
    compile_ = {}
    for r in (r for r in rows if r["kind"] == "compile"):
        c = compile_.setdefault(r["where"], {}).setdefault(str(r["rules"]), {"s": [], "kib": []})
        c["s"].append(r["seconds"])
        c["kib"].append(r["maxrss_kib"])
    compile_ = {w: {n: {"seconds": spread(c["s"]), "maxrss_kib": max(c["kib"])}
                    for n, c in per.items()} for w, per in compile_.items()}
    throughput = {}
    for r in (r for r in rows if r["kind"] == "throughput"):
        prod = r["producer"]
        throughput[r["mode"]] = {
            "target_rate": r["target_rate"], "produced": prod["iterations"],
            "producer_rate": 1e9 / prod["ns_per_op"] if prod["ns_per_op"] else None,
            "written": r["written"], "seconds": r["seconds"],
            "written_per_s": r["written"] / r["seconds"] if r["seconds"] > 0 else None,
            "lost": r["lost"]}
    pipeline = {}
    for r in (r for r in rows if r["kind"] == "pipeline"):
        pipeline.setdefault(r["where"], []).append(r["events_per_s"])
    pipeline = {w: spread(v) for w, v in pipeline.items()}
    sign = {r["where"] + "/" + r["mode"]: r for r in rows if r["kind"] == "sign"}
    egress = {r["where"] + "/" + r["mode"]: r for r in rows if r["kind"] == "egress"}
    bpfstats = {r["config"]: {"run_cnt": r["run_cnt"], "run_time_ns": r["run_time_ns"],
                              "ns_per_run": r["run_time_ns"] / r["run_cnt"] if r["run_cnt"] else None}
                for r in rows if r["kind"] == "bpfstats"}
    return {"env": env, "emulated": emulated, "ops": table, "revocation": revocation,
            "compile": compile_, "throughput": throughput, "pipeline": pipeline,
            "bpfstats": bpfstats, "sign": sign, "egress": egress}


def med(s, cfg, w, what="ratio"):
    try:
        return s["ops"][cfg][w][what]["median"]
    except (KeyError, TypeError):
        return None


def targets(s):
    """(what, measured, goal, met or None when not measured, where it was measured)."""
    k = "VM, emulated" if s["emulated"] else "native"
    t = []
    for w in ("open", "connect", "forkexec"):
        r = med(s, "unbound", w)
        t.append((f"unbound {w}() vs baseline", r, "≤ 1.03×", None if r is None else r <= 1.03, k))
    r = med(s, "bound1000", "open")
    t.append(("bound, 1,000 rules, open() vs baseline", r, "≤ 1.15×",
              None if r is None else r <= 1.15, k))
    b, l = med(s, "bound1000", "open", "ns_per_op"), med(s, "landlock1000", "open", "ns_per_op")
    t.append(("bound, 1,000 rules, open() vs Landlock, 1,000 rules",
              None if None in (b, l) else b / l, "≤ 1.00×", None if None in (b, l) else b <= l, k))
    rev = s["revocation"] or {}
    for key, name, lim in (("kernel_us", "revocation, map update → first EACCES, p99", 50),
                           ("e2e_us", "revocation, `revoke` command → first EACCES, p99", 5000)):
        v = rev.get(key, {}).get("p99")
        t.append((name, v, f"≤ {lim:,} µs", None if v is None else v <= lim, k))
    where = "host" if "host" in s["compile"] else "vm"
    c = s["compile"].get(where, {}).get("10000")
    cw = "this machine, real CPU" if where == "host" else k
    t.append(("policy compile, 10,000 rules, wall time (ms)", c and c["seconds"]["median"] * 1000,
              "< 100 ms", None if not c else c["seconds"]["median"] < 0.1, cw))
    t.append(("policy compile, 10,000 rules, peak memory (MiB)", c and c["maxrss_kib"] / 1024,
              "< 64 MiB", None if not c else c["maxrss_kib"] < 64 * 1024, cw))
    mx, pc = s["throughput"].get("max"), s["throughput"].get("paced")
    t.append(("audit events/s into the file, 2 producers", mx and mx["written_per_s"],
              "≥ 500,000/s", None if not mx else mx["written_per_s"] >= 500000, k))
    p = s["pipeline"].get("host")
    t.append(("the daemon's per-event work alone (no kernel ring), events/s",
              p and p["median"], "≥ 500,000/s", None if not p else p["median"] >= 500000,
              "this machine, real CPU"))
    sg = s.get("sign", {})
    for key, name, where in (
            ("host/work", "signing work per request (RFC 8785, ES256, verify), p99", "this machine, real CPU"),
            ("native/socket", "sign round trip through the signer (bound client), p99", "native"),
            ("vm/socket", "sign round trip through the signer (bound client), p99", "VM, emulated")):
        r = sg.get(key)
        if r or key != "native/socket":
            v = r and r["p99_us"] / 1000
            t.append((name + " (ms)", v, "≤ 1 ms", None if v is None else v <= 1, where))
    reached = pc and pc["producer_rate"] and pc["producer_rate"] >= 0.95 * pc["target_rate"]
    t.append(("events lost at 100k events/s" + ("" if not pc or reached else
              f" (the producer reached only {pc['producer_rate']:,.0f}/s)"),
              pc and pc["lost"], "0", None if not pc else (pc["lost"] == 0 and bool(reached)), k))
    return t


def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, float):
        return (f"{v:.3f}" if abs(v) < 10 else f"{v:,.0f}") + unit
    return f"{v:,}{unit}"


def markdown(s, tg):
    emu = s["emulated"]
    label = " (emulated)" if emu else ""
    out = ["# kakunin-bpf benchmark", ""]
    for e in s["env"]:
        out.append(f"- kernel side: {e['where']}, Linux {e['kernel']}, {e['cpus']} CPUs "
                   f"({e['cpu'] or 'unknown CPU'}), {e['reps']} repetitions, scale {e['scale']}")
    if emu:
        out += ["", "**Every kernel-side figure below is emulated**: measured inside the test VM "
                "under QEMU software emulation (TCG, no KVM), because this machine's kernel "
                "refuses BPF-LSM programs. Ratios are more trustworthy than absolute times, but "
                "TCG distorts both; the targets are meant for real hardware."]
    out += ["", f"## System call cost, ratio to baseline (min / median / max){label}", "",
            "| configuration | " + " | ".join(WORKLOADS) + " |",
            "|---|" + "---|" * len(WORKLOADS)]
    for cfg in CONFIGS:
        if cfg not in s["ops"]:
            continue
        cells = []
        for w in WORKLOADS:
            o = s["ops"][cfg].get(w)
            if not o or not o["ratio"]:
                cells.append("—")
                continue
            r = o["ratio"]
            cells.append(f"{r['min']:.2f} / **{r['median']:.2f}** / {r['max']:.2f}"
                         + (f" ({o['errors']} errors)" if o["errors"] else ""))
        out.append(f"| {cfg} | " + " | ".join(cells) + " |")
    out += ["", f"Median time per operation, ns{label}:", "",
            "| configuration | " + " | ".join(WORKLOADS) + " |", "|---|" + "---|" * len(WORKLOADS)]
    for cfg in CONFIGS:
        if cfg in s["ops"]:
            out.append(f"| {cfg} | " + " | ".join(
                fmt(med(s, cfg, w, "ns_per_op")) for w in WORKLOADS) + " |")
    out += ["", "open-denied under baseline and unbound opens the file (nothing denies it); "
            "bound and Landlock refuse it with EACCES. Landlock on this kernel has no network "
            "rules, so its connect() column measures its file rules' absence of cost only."]
    if s["bpfstats"]:
        out += ["", f"file_open program, mean run time per call (bpf_stats){label}: " + ", ".join(
            f"{c} {fmt(v['ns_per_run'], ' ns')}" for c, v in s["bpfstats"].items())]
    rev = s["revocation"]
    if rev:
        out += ["", f"## Revocation latency{label}", "",
                "| path | trials | p50 | p99 | max |", "|---|---|---|---|---|"]
        for key, name in (("kernel_us", "map update returned → first EACCES"),
                          ("e2e_us", "`kakunin-bpf revoke` started → first EACCES")):
            r = rev[key]
            out.append(f"| {name} | {r['n']} | {fmt(r['p50'], ' µs')} | {fmt(r['p99'], ' µs')} "
                       f"| {fmt(r['max'], ' µs')} |")
    if s["compile"]:
        out += ["", "## Policy compile (`policy check`, process start included)", "",
                "| where | rules | median | min | max | peak RSS |", "|---|---|---|---|---|---|"]
        for where, per in s["compile"].items():
            for n, c in sorted(per.items(), key=lambda kv: int(kv[0])):
                sec = c["seconds"]
                out.append(f"| {where}{' (emulated)' if where == 'vm' else ''} | {int(n):,} | "
                           f"{sec['median'] * 1000:.1f} ms | {sec['min'] * 1000:.1f} ms | "
                           f"{sec['max'] * 1000:.1f} ms | {c['maxrss_kib'] / 1024:.1f} MiB |")
    if s["throughput"]:
        out += ["", f"## Audit throughput, two producer threads{label}", "",
                "| producer | produced | producer rate | written to the file | written/s | lost |",
                "|---|---|---|---|---|---|"]
        for mode, r in s["throughput"].items():
            name = "as fast as possible" if mode == "max" else f"paced at {r['target_rate']:,}/s"
            out.append(f"| {name} | {r['produced']:,} | {fmt(r['producer_rate'], '/s')} | "
                       f"{r['written']:,} | {fmt(r['written_per_s'], '/s')} | {r['lost']:,} |")
    if s["pipeline"]:
        out += ["", "The daemon's work per event without the kernel (decode, JSON line, SHA-256 "
                "chain, one write per 256 lines; bench/kk-evpipe.c), events/s: " + ", ".join(
                    f"{w}{' (emulated)' if w == 'vm' else ' (real CPU)'} median "
                    f"{fmt(v['median'])} (min {fmt(v['min'])}, max {fmt(v['max'])})"
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
    out += ["", "## Targets", "", "| target | measured | goal | where | |",
            "|---|---|---|---|---|"]
    for name, v, goal, met, where in tg:
        verdict = "not measured" if met is None else ("met" if met else "**missed**")
        out.append(f"| {name} | {fmt(v)} | {goal} | {where} | {verdict} |")
    missed = [n for n, _, _, m, _ in tg if m is False]
    if missed:
        out += ["", "Missed: " + "; ".join(missed) + "." +
                (" These are emulated figures; see the closing notes of the bench issue for "
                 "why each one misses." if emu else "")]
    return "\n".join(out) + "\n"


def chart(s, outdir):
    """A clustered bar chart of median ratios, or the reason there is none."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not found (scripts/deps.sh installs gnuplot-nox): no chart"
    dat = os.path.join(outdir, "latest-chart.dat")
    with open(dat, "w") as f:
        f.write("config " + " ".join(WORKLOADS) + "\n")
        for cfg in CONFIGS:
            if cfg in s["ops"]:
                f.write(cfg + " " + " ".join(
                    f"{med(s, cfg, w) or 0:.4f}" for w in WORKLOADS) + "\n")
    title = "kakunin-bpf: time per operation / baseline (median)" + (
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
plot for [i=2:{len(WORKLOADS) + 1}] '{dat}' using i:xtic(1)
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
    s["targets"] = [{"name": n, "measured": v, "goal": g, "met": m, "where": w}
                    for n, v, g, m, w in tg]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "latest.json"), "w") as f:
        json.dump(s, f, indent=1)
    md = markdown(s, tg)
    problem = chart(s, outdir)
    if problem:
        md += f"\n(chart: {problem})\n"
    else:
        md += "\n![median ratios](latest.png)\n"
    with open(os.path.join(outdir, "latest.md"), "w") as f:
        f.write(md)
    print(md, end="")
    if problem:
        print(f"report: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
