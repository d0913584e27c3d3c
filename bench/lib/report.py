#!/usr/bin/env python3
"""Small helpers for bench/run.sh (standard library only).

  report.py latency MSGS            p50 p99 n (ms) from a SIPp -trace_shortmsg file
  report.py table FLOWS.TSV         the Parley vs Kamailio table (Markdown)
  report.py curves CURVES.TSV       the scaling-curve table (Markdown)
  report.py plot CURVES.TSV OUTDIR  one PNG per curve (gnuplot)
  report.py results WORKDIR OUT.md  bench/RESULTS.md from a run directory

Latency of a flow = from the first request SIPp sent for a Call-ID to the first 2xx response
received for it (so it includes the digest challenge round trip where there is one).
"""
import math
import os
import re
import shutil
import subprocess
import sys

FLOW_COLS = ["flow", "server", "status", "max_rate", "max_fail_pct", "cpu_us", "cpu_rate",
             "cpu_ok", "cpu_failed", "p50_ms", "p99_ms", "peak_pss_kb", "hwm_kb", "extra", "round"]
# Figures of the fixed-rate run: with several rounds the table gives their median.
# Peak memory is the first round's, like max flows/s: only that round saturates.
ROUND_COLS = ["cpu_us", "p50_ms", "p99_ms"]
PER_NOTIFY = re.compile(r"cpu_us_per_notify=([0-9.]+)")
CURVE_COLS = ["curve", "server", "x", "cpu_us", "pss_kb", "hwm_kb", "note"]
CURVE_TITLES = {
    "registrations": ("registrations held", "CPU µs per REGISTER flow (refresh)"),
    "subscriptions": ("subscriptions held", "CPU µs per SUBSCRIBE lifecycle"),
    "watchers": ("watchers of one presentity", "CPU µs per NOTIFY (publish+remove flow / 2x)"),
}


def percentile(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def latency(path):
    first, done = {}, {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) < 7:
                    continue
                try:
                    t = float(p[2])
                except ValueError:
                    continue
                cid = p[4]
                if p[3] == "S":
                    first.setdefault(cid, t)
                elif p[3] == "R" and p[6].startswith("SIP/2.0 2") and cid not in done:
                    done[cid] = t
    except FileNotFoundError:
        pass
    vals = sorted((done[c] - first[c]) * 1000.0 for c in done if c in first)
    if not vals:
        print("- - 0")
        return
    print("%.3f %.3f %d" % (percentile(vals, 50), percentile(vals, 99), len(vals)))


def read_tsv(path, cols):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < len(cols):
                p += ["-"] * (len(cols) - len(p))
            rows.append(dict(zip(cols, p)))
    return rows


def num(v):
    try:
        return float(v.lstrip("<"))
    except (ValueError, AttributeError):
        return None


def ratio(a, b, digits=2):
    x, y = num(a), num(b)
    if x is None or y is None or y == 0:
        return "–"
    return "%.*f" % (digits, x / y)


def mib(kb):
    x = num(kb)
    return "–" if x is None else "%.1f" % (x / 1024.0)


def short_status(s):
    if s.startswith("n/a"):
        return "n/a (not implemented)" if "not implemented" in s else s
    return s


def fmt_rate(r):
    if r.get("status") != "ok":
        return short_status(r.get("status", "–"))
    v = r["max_rate"]
    return v if v != "-" else "–"


def val(r, key):
    if not r or r.get("status") != "ok":
        return None
    v = r.get(key, "-")
    return None if v in ("-", "") else v


def median(vals):
    v = sorted(vals)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def fmt_like(x, sample):
    """x with as many decimals as the string `sample` has."""
    decimals = len(sample.split(".")[1]) if "." in sample else 0
    return "%.*f" % (decimals, x)


def merge_rounds(rs):
    """One row from a flow's rounds on one server: the first round's max flows/s, peak memory
    and status details, the median of each fixed-rate figure over the rounds that succeeded, and a note
    listing every round's CPU µs/flow and p99 (round order). A round that failed is reported
    in the notes; if none succeeded, the first failure stands."""
    rs = sorted(rs, key=lambda r: int(r["round"]) if r.get("round", "-").isdigit() else 1)
    ok = [r for r in rs if r["status"] == "ok"]
    first = dict(rs[0])
    if not ok:
        return first, []
    merged = dict(ok[0]) if first["status"] != "ok" else first
    for col in ("max_rate", "max_fail_pct", "peak_pss_kb", "hwm_kb"):
        # the first round's; none if it failed
        merged[col] = first[col] if first["status"] == "ok" else "-"
    for col in ROUND_COLS:
        vals = [(num(r[col]), r[col]) for r in ok if num(r[col]) is not None]
        if vals:
            merged[col] = fmt_like(median([v for v, _ in vals]), vals[0][1])
    notes = []
    if len(rs) > 1:
        notes.append("%d rounds, CPU µs/flow %s, p99 ms %s" % (
            len(rs), " / ".join(r["cpu_us"] if r["status"] == "ok" else "failed" for r in rs),
            " / ".join(r["p99_ms"] if r["status"] == "ok" else "failed" for r in rs)))
        for r in rs:
            if r["status"] != "ok":
                notes.append("round %s: %s" % (r.get("round", "-"), r["status"]))
            elif r is not merged and "failed at" in r.get("extra", ""):
                notes.append("round %s: %s" % (r.get("round", "-"), r["extra"]))
        # Fan-out: CPU per NOTIFY is the median too.
        per_notify = [num(m.group(1)) for m in (PER_NOTIFY.search(r.get("extra", "")) for r in ok) if m]
        if len(per_notify) > 1:
            merged["extra"] = PER_NOTIFY.sub("cpu_us_per_notify=%.1f (median; %s)" % (
                median(per_notify), " / ".join("%.1f" % v for v in per_notify)), merged["extra"])
    return merged, notes


def flow_table(rows):
    flows, grouped = [], {}
    for r in rows:
        if r["flow"] not in flows:
            flows.append(r["flow"])
        grouped.setdefault((r["flow"], r["server"]), []).append(r)
    by, round_notes = {}, []
    for key, rs in grouped.items():
        by[key], notes = merge_rounds(rs)
        round_notes += [(key[0], key[1], n) for n in notes]
    rows = [by[k] for k in grouped]
    servers = [s for s in ("parley", "kamailio") if any(k[1] == s for k in by)]
    out = []
    if servers == ["parley", "kamailio"]:
        out.append("| flow | max flows/s parley | max flows/s kamailio | ratio | CPU µs/flow parley | "
                   "CPU µs/flow kamailio | ratio | offered /s | p50 ms p / k | p99 ms p / k | "
                   "peak PSS MiB p / k | ratio |")
        out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for fl in flows:
            p, k = by.get((fl, "parley")), by.get((fl, "kamailio"))
            cell = lambda r, key: val(r, key) or "–"
            pr = fmt_rate(p) if p else "–"
            kr = fmt_rate(k) if k else "–"
            both = lambda key: "%s / %s" % (cell(p, key), cell(k, key))
            mem = "%s / %s" % (mib(val(p, "peak_pss_kb")) if val(p, "peak_pss_kb") else "–",
                               mib(val(k, "peak_pss_kb")) if val(k, "peak_pss_kb") else "–")
            rate = (k or p or {}).get("cpu_rate", "–")
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                fl, pr, kr, ratio(val(p, "max_rate"), val(k, "max_rate")),
                cell(p, "cpu_us"), cell(k, "cpu_us"), ratio(val(p, "cpu_us"), val(k, "cpu_us")),
                rate, both("p50_ms"), both("p99_ms"), mem,
                ratio(val(p, "peak_pss_kb"), val(k, "peak_pss_kb"))))
    else:
        out.append("| flow | server | max flows/s | fail % | CPU µs/flow | offered /s | p50 ms | p99 ms | peak PSS MiB |")
        out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|")
        for fl in flows:
            for s in servers:
                r = by.get((fl, s))
                if not r:
                    continue
                ok = r["status"] == "ok"
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    fl, s, fmt_rate(r), r["max_fail_pct"] if ok else "–", r["cpu_us"] if ok else "–",
                    r["cpu_rate"], r["p50_ms"] if ok else "–", r["p99_ms"] if ok else "–",
                    mib(r["peak_pss_kb"]) if ok else "–"))
    extras = [(r["flow"], r["server"], r["extra"]) for r in rows if r.get("extra", "-") not in ("-", "")]
    failures = [(r["flow"], r["server"], r["status"]) for r in rows
                if r["status"] != "ok" and not r["status"].startswith("n/a (not implemented")]
    # A flow's notes together, in table order, parleyd's first.
    order = lambda item: (flows.index(item[0]), item[1] != "parley")
    notes = ["- %s, %s: %s" % item for item in sorted(extras + round_notes + failures, key=order)]
    na = sorted({r["status"] for r in rows if r["status"].startswith("n/a (not implemented")})
    for st in na:
        fl = [r["flow"] for r in rows if r["status"] == st]
        notes.append("- %s: %s" % (", ".join(fl), st))
    return "\n".join(out), "\n".join(notes)


def curve_table(rows):
    out = ["| curve | server | x | CPU µs/flow | PSS MiB | note |", "|---|---|--:|--:|--:|---|"]
    for r in rows:
        out.append("| %s | %s | %s | %s | %s | %s |" % (r["curve"], r["server"], r["x"], r["cpu_us"],
                                                      mib(r["pss_kb"]), r["note"] if r["note"] != "-" else ""))
    return "\n".join(out)


def plot(curves_tsv, outdir):
    rows = read_tsv(curves_tsv, CURVE_COLS)
    gp = shutil.which("gnuplot")
    made = []
    if not gp:
        print("report.py: gnuplot not installed, no plots", file=sys.stderr)
        return made
    os.makedirs(outdir, exist_ok=True)
    for curve in [c for c in CURVE_TITLES if any(r["curve"] == c for r in rows)]:
        xlabel, ylabel = CURVE_TITLES[curve]
        data_dir = os.path.join(outdir, ".data")
        os.makedirs(data_dir, exist_ok=True)
        plots, servers = [], []
        notes = {r["note"] for r in rows if r["curve"] == curve and r["server"] == "parley" and r["note"] != "-"}
        for s, color in (("parley", "#1f77b4"), ("kamailio", "#d62728")):
            pts = [r for r in rows if r["curve"] == curve and r["server"] == s
                   and num(r["cpu_us"]) is not None and num(r["x"])]
            if not pts:
                continue
            servers.append(s)
            fn = os.path.join(data_dir, "%s-%s.dat" % (curve, s))
            with open(fn, "w") as f:
                for r in pts:
                    cpu = num(r["cpu_us"])
                    if curve == "watchers":  # per NOTIFY: a flow causes 2 NOTIFYs per watcher
                        cpu = cpu / (2 * num(r["x"]))
                    f.write("%s %.2f %s\n" % (r["x"], cpu, (num(r["pss_kb"]) or 0) / 1024.0))
            plots.append("'%s' using 1:2 axes x1y1 with linespoints lw 2 pt 7 lc rgb '%s' title '%s CPU µs'"
                         % (fn, color, s))
            plots.append("'%s' using 1:3 axes x1y2 with linespoints lw 2 dt 2 pt 6 lc rgb '%s' title '%s PSS MiB'"
                         % (fn, color, s))
        if not plots:
            continue
        title = "%s: %s and memory" % (curve, ylabel)
        if servers == ["kamailio"]:
            title += "\\nKamailio only: parleyd %s" % (sorted(notes)[0] if notes else "n/a (not implemented)")
        png = os.path.join(outdir, "curve-%s.png" % curve)
        script = "\n".join([
            "set terminal pngcairo size 900,520 font 'sans,10'",
            "set output '%s'" % png,
            "set title \"%s\"" % title,
            "set logscale x", "set grid",
            "set logscale y" if curve == "watchers" else "set yrange [0:*]",
            "set xlabel '%s'" % xlabel,
            "set ylabel '%s'" % ylabel,
            "set y2label 'server PSS (MiB)'", "set ytics nomirror", "set y2tics",
            "set y2range [0:*]", "set key left top",
            "plot " + ", ".join(plots), ""])
        subprocess.run([gp], input=script, text=True, check=True)
        made.append(png)
        shutil.rmtree(data_dir, ignore_errors=True)
    for p in made:
        print(p)
    return made


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    meta[k] = v
    return meta


KEPT = re.compile(r"<!-- kept: ([\w-]+) -->.*?<!-- /kept: \1 -->\n?", re.S)


def kept_sections(path):
    """Sections of an existing RESULTS.md that other measurements own (between
    <!-- kept: NAME --> and <!-- /kept: NAME -->): carried over when the file is regenerated."""
    try:
        with open(path) as f:
            return [m.group(0).rstrip("\n") for m in KEPT.finditer(f.read())]
    except FileNotFoundError:
        return []


def results(work, out_md):
    meta = read_meta(os.path.join(work, "meta"))
    flows = read_tsv(os.path.join(work, "flows.tsv"), FLOW_COLS)
    curves = read_tsv(os.path.join(work, "curves.tsv"), CURVE_COLS)
    outdir = os.path.dirname(os.path.abspath(out_md))
    lines = ["# Benchmark results: Parley vs Kamailio", "",
             "Generated by `%s` — do not edit by hand." % meta.get("command", "bench/run.sh --write-results"), "",
             "| | |", "|---|---|"]
    for k, label in (("date", "date (UTC)"), ("commit", "commit"), ("cpu", "CPU"), ("cores", "cores"),
                     ("kernel", "kernel"), ("parleyd", "parleyd"), ("kamailio", "Kamailio"), ("sipp", "SIPp"),
                     ("threads", "server threads / Kamailio children"), ("users", "users"),
                     ("durations", "durations"), ("watchers", "watchers (fanout flow)"),
                     ("machine", "machine: CPU per wake-up, timer, fdatasync (`bench/run.sh --machine`)")):
        if k in meta:
            lines.append("| %s | %s |" % (label, meta[k]))
    if flows:
        table, notes = flow_table(flows)
        lines += ["", "## Flows", "",
                  "ratio = parley / kamailio: above 1 is better for max flows/s, below 1 is better for "
                  "CPU and memory. CPU µs/flow, p50 and p99 are taken at the same fixed offered rate "
                  "(column *offered*) for both servers.", "", table]
        if notes:
            lines += ["", "Notes:", "", notes]
    if curves:
        lines += ["", "## Scaling curves", "", curve_table(curves), ""]
        for c in CURVE_TITLES:
            png = os.path.join(outdir, "curve-%s.png" % c)
            if any(r["curve"] == c for r in curves) and os.path.exists(png):
                lines.append("![%s](curve-%s.png)" % (c, c))
                lines.append("")
    lines += ["", "## How the numbers are taken", "",
              "- Both servers run in one private network namespace, on 127.0.0.1, restarted fresh for every flow, "
              "with the same users (`u0..uN`, password `pw`, domain `bench.test`); SIPp runs on the same machine "
              "and competes with the server for the cores.",
              "- *max flows/s*: SIPp flat out (bounded number of flows in progress) for a few seconds; if 0.1 % or "
              "more failed, fixed rates from 80 % of what was reached, 20 % lower each try. `<N`: never below "
              "0.1 % failures.",
              "- *CPU µs/flow*: on-CPU time (user+sys, from /proc/PID/task/*/schedstat) of every thread of every "
              "process of the server tree during a fixed-rate run, divided by the successful flows.",
              "- *p50/p99*: per flow, first request sent to first 2xx received (SIPp -trace_shortmsg "
              "timestamps, µs), over every flow of the fixed-rate run; includes the digest challenge round trip.",
              "- *rounds* (`--rounds N`, the line *durations* above): the fixed-rate part of every flow runs N "
              "times, every flow once before any flow again, on a fresh server each time with the two servers "
              "alternating; CPU µs/flow, p50 and p99 are the medians, each round's CPU and p99 are in the "
              "notes; max flows/s and peak PSS are from the first round (the only one that runs flat out).",
              "- *peak PSS*: highest sum of Pss over the server's processes (sampled every 0.25 s), so "
              "Kamailio's shared memory is counted once; for parleyd (one process) it tracks VmHWM.",
              "- TLS flows: the Debian SIPp has no TLS, so SIPp talks TCP to a local stunnel that opens one TLS "
              "connection to the server: the server terminates real TLS.",
              "", "## Reproduce", "", "```",
              "scripts/install-deps.sh && bench/run.sh --check-deps   # bench/run.sh --install-deps adds what is missing",
              meta.get("command", "bench/run.sh --against kamailio --curves all --write-results"),
              "```", ""]
    for kept in kept_sections(out_md):
        lines += [kept, ""]
    with open(out_md, "w") as f:
        f.write("\n".join(lines))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "latency":
        latency(argv[2])
    elif cmd == "table":
        t, n = flow_table(read_tsv(argv[2], FLOW_COLS))
        print(t)
        if n:
            print("\n" + n)
    elif cmd == "curves":
        print(curve_table(read_tsv(argv[2], CURVE_COLS)))
    elif cmd == "plot":
        plot(argv[2], argv[3])
    elif cmd == "results":
        results(argv[2], argv[3])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
