#!/usr/bin/env python3
"""Recommendation quality benchmark (DESIGN.md, Targets). Run through bench/pool_quality.sh,
which starts the cluster; see bench/README.md for the method.

For each workload (select-only, TPC-B-like, a transaction that sleeps inside):
  1. the engine: start a pgbench pool of 2 (and of 96) clients under application_name
     q_<workload>_<start>, read pool_recommendations().pool_size for that group once the
     pool has held through a whole evaluation window, set the pool to it; at most 3
     evaluations, all under the one application name.
  2. the sweep: every size of --sizes plus the engine's final sizes, the original formula
     and cores*2+1, measured in the same run, interleaved:
       - full speed (closed loop, no think time), --repeats times (ascending and
         descending order in turn): throughput, and p95 latency as pgbench logs it;
       - at a fixed offered rate (pgbench -R, open loop, Poisson arrivals) equal to
         --rate-share of the best full-speed throughput, --rate-repeats times: p95 latency
         including the wait for a free client connection (schedule lag), i.e. the pool's
         own latency;
       - each time, the close contenders for the best (--refine-margin) and the engine's
         final sizes then get --refine-repeats more passes of short (--refine-seconds) runs,
         interleaved among themselves, so that the best of a dozen sizes is not one lucky run.
  3. ratios of each pool to the best of the sweep. Between refined sizes the throughput ratio
     is that of their blocked scores: each run divided by the mean of its pass, the median
     over the passes. The machine's speed drifts over tens of seconds; adjacent runs share the
     drift. The ratio of the plain medians and a bootstrap interval over the passes are
     reported beside it. The p95 ratios are of medians: a p95 spikes when the machine
     stalls, it does not scale with the drift.
Only the standard library; medians and p95 computed here from pgbench's per-transaction logs.
"""
import argparse, glob, json, math, os, platform, random, statistics, subprocess, sys, time
from datetime import datetime, timezone

SLEEP_SCRIPT = """\\set aid random(1, 100000 * :scale)
\\set delta random(-5000, 5000)
BEGIN;
SELECT pg_sleep({sleep});
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
END;
"""

args = None


def as_user(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", args.run_user, "--"] + cmd
    return cmd


def pg(tool):
    return os.path.join(args.bindir, tool)


def psql(sql):
    out = subprocess.run(as_user([pg("psql"), "-X", "-At", "-F", "\t", "-h", args.host, "-p",
                                  str(args.port), "-U", "postgres", "-d", "postgres", "-c", sql]),
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def workload_args(workload):
    if workload == "select":
        return ["-S"]
    if workload == "tpcb":
        return []
    return ["-f", os.path.join(args.scratch, "sleep.sql")]


def pgbench_cmd(workload, clients, seconds, rate=None, log_prefix=None):
    cmd = [pg("pgbench"), "-h", args.host, "-p", str(args.port), "-U", "postgres", "-n",
           "-c", str(clients), "-j", str(min(2, clients)), "-T", str(seconds)]
    cmd += workload_args(workload)
    if rate:
        cmd += ["-R", f"{rate:.0f}"]
    if log_prefix:
        cmd += ["--log", "--log-prefix", log_prefix]
    return as_user(cmd) + ["postgres"]


def p95(values):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, math.ceil(0.95 * len(values)) - 1)]


def host_cpu_ticks():
    """(busy, total) jiffies of all CPUs from /proc/stat; iowait counts as idle."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def measure(workload, clients, rate=None, tag="run", seconds=None):
    """One pgbench run; per-transaction log; the first --warmup seconds are dropped. The
    host CPU over the whole run (warm-up included) and its cost per transaction are reported
    beside the figures judged: what the engine's CPU model reads at each size."""
    prefix = os.path.join(args.scratch, f"log_{tag}")
    for f in glob.glob(prefix + "*"):
        os.remove(f)
    env = dict(os.environ, PGAPPNAME=f"sweep_{workload}")
    busy_before, total_before = host_cpu_ticks()
    started = time.monotonic()
    proc = subprocess.run(pgbench_cmd(workload, clients, (seconds or args.seconds) + args.warmup, rate, prefix),
                          cwd=args.scratch, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    busy_after, total_after = host_cpu_ticks()
    host_cpu = (busy_after - busy_before) / max(total_after - total_before, 1)
    if proc.returncode != 0:
        log(f"pgbench failed ({workload}, {clients}): {proc.stderr.strip()[-400:]}")
    ends, lats = [], []
    for f in glob.glob(prefix + "*"):
        with open(f) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 6 or parts[2] == "skipped":
                    continue
                ends.append(int(parts[4]) + int(parts[5]) / 1e6)
                lats.append(int(parts[2]) / 1000.0)  # ms; includes schedule lag under -R
        os.remove(f)
    if not ends:
        return {"tps": 0.0, "p95_ms": float("nan"), "transactions": 0, "host_cpu": host_cpu,
                "cpu_ms_per_tx": float("nan")}
    start = min(ends) + args.warmup
    last = max(ends)
    kept = [l for e, l in zip(ends, lats) if e >= start]
    span = max(last - start, 1e-3)
    cpu_seconds = host_cpu * (os.cpu_count() or 1) * elapsed
    return {"tps": len(kept) / span, "p95_ms": p95(kept), "median_ms": statistics.median(kept) if kept else float("nan"),
            "transactions": len(kept), "host_cpu": host_cpu,
            "cpu_ms_per_tx": 1000.0 * cpu_seconds / len(ends)}


def evaluations_done():
    return int(psql("SELECT evaluations FROM pool_optimizer_status()")[0][0])


def wait_until(query, expected, deadline_seconds=30):
    deadline = time.monotonic() + deadline_seconds
    while True:
        rows = psql(query)
        if rows and rows[0][0] == expected:
            return True
        if time.monotonic() > deadline:
            log(f"still not {expected} after {deadline_seconds} s: {query}")
            return False
        time.sleep(0.1)


def wait_for_held_window(app, clients, deadline_seconds=60):
    """Waits until a sample has seen the pool's `clients` connections, then until the worker
    has closed two windows: the first ends the window in which the pool was resized, the
    second one it held through."""
    wait_until(f"SELECT connections FROM pool_metrics() WHERE application_name = '{app}'",
               str(clients))
    since = evaluations_done()
    deadline = time.monotonic() + deadline_seconds
    while evaluations_done() < since + 2:
        if time.monotonic() > deadline:
            log("no second evaluation window closed within the deadline; reading anyway")
            return
        time.sleep(0.5)
    time.sleep(args.eval_seconds)


def evaluate_engine(workload, start):
    """Start at `start` clients; apply pool_size after each window the pool held; at most
    --evaluations steps. One application name for all the steps: an operator resizes the
    same application's pool, and the engine weighs what the sizes it held served."""
    size, steps = start, []
    app = f"q_{workload}_{start}"
    for step in range(1, args.evaluations + 1):
        env = dict(os.environ, PGAPPNAME=app)
        proc = subprocess.Popen(pgbench_cmd(workload, size, 120), cwd=args.scratch,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_held_window(app, size)
        rows = psql("SELECT connections, round(busy_mean::numeric,2), busy_p95, round(saturation::numeric,2), "
                    "round(transactions_per_second::numeric), round(mean_hold_time_ms::numeric,3), "
                    "round(offered_load::numeric,2), pool_size, erlang_pool_size, cpu_bound, adapted_pool_size, "
                    "confidence, reason FROM pool_recommendations() "
                    f"WHERE application_name = '{app}'")
        cpu = psql("SELECT round(cpu_utilisation::numeric,2) FROM host_resources()")
        proc.terminate()
        proc.wait()
        wait_until(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'", "0")
        if not rows:
            log(f"no recommendation row for {app}")
            break
        r = rows[0]
        rec = {"step": step, "pool": size, "connections": int(r[0]), "busy_mean": float(r[1]),
               "busy_p95": int(r[2]), "saturation": float(r[3]), "tps": float(r[4]),
               "hold_ms": float(r[5]), "offered_load": float(r[6]), "pool_size": int(r[7]),
               "erlang_pool_size": int(r[8]), "cpu_bound": r[9] == "t",
               "adapted_pool_size": int(r[10]) if r[10] else None, "confidence": r[11],
               "reason": r[12], "host_cpu_now": cpu[0][0] if cpu else None}
        steps.append(rec)
        log(f"engine {workload} from {start}, evaluation {step}: pool {size} -> {rec['pool_size']} "
            f"(busy mean {rec['busy_mean']}, p95 {rec['busy_p95']}, sat {rec['saturation']}, "
            f"{rec['tps']} tx/s, cpu_bound {rec['cpu_bound']})")
        if rec["pool_size"] == size:
            break
        size = rec["pool_size"]
    return {"start": start, "final": size, "steps": steps}


def original_formula(cpus, memory_gb):
    cores = max(1, math.ceil(cpus)) if cpus > 0 else 1
    return int(min(50, max(5, math.floor(min(cores * 3, max(memory_gb, 0) * 2)))))


def cores_2_plus_1(cpus):
    cores = max(1, math.ceil(cpus)) if cpus > 0 else 1
    return cores * 2 + 1


def sweep_passes(workload, sizes, runs, passes, rate=None, seconds=None):
    """`passes` runs of every size, alternating the order; appended to runs[size].
    Returns the passes as blocks: one {size: measurement} per pass."""
    blocks = []
    for rep in range(passes):
        block = {}
        for s in (sizes if rep % 2 == 0 else list(reversed(sizes))):
            m = measure(workload, s, rate=rate, tag=f"{workload}_{s}_{'r' if rate else 'f'}{len(runs[s])}",
                        seconds=seconds)
            runs[s].append(m)
            block[s] = m
            how = f"at {rate:.0f} tx/s" if rate else "full speed"
            log(f"{workload} {how}, {s} clients: {m['tps']:.0f} tx/s, p95 {m['p95_ms']:.2f} ms, "
                f"host CPU {100 * m['host_cpu']:.1f} %")
        blocks.append(block)
    return blocks


def blocked_tps_scores(blocks):
    """Each size's median, over the blocks, of its throughput divided by the block's mean.
    The machine's speed drifts over tens of seconds (bench/README.md, "Noise") and
    throughput follows it; a block's runs are adjacent, so the drift divides out."""
    norm = {}
    for block in blocks:
        values = [m["tps"] for m in block.values() if m["tps"] > 0]
        if len(values) != len(block):
            continue
        mean = statistics.mean(values)
        for s, m in block.items():
            norm.setdefault(s, []).append(m["tps"] / mean)
    return {s: statistics.median(v) for s, v in norm.items()}


def bootstrap_tps_ratio(blocks, size, resamples=2000):
    """5th and 95th percentiles of size's blocked score ÷ the best blocked score, over
    resamples of the passes (drawn with replacement): how far the passes' noise moves the
    ratio the target is judged on."""
    rng = random.Random(size)
    ratios = []
    for _ in range(resamples):
        scores = blocked_tps_scores([rng.choice(blocks) for _ in blocks])
        if size in scores:
            ratios.append(scores[size] / max(scores.values()))
    if len(ratios) < 20:
        return None
    cuts = statistics.quantiles(ratios, n=20)
    return [cuts[0], cuts[-1]]


def run_workload(workload, cpus, memory_gb):
    log(f"== {workload}")
    engine = {start: evaluate_engine(workload, start) for start in args.starts}
    formula, rule = original_formula(cpus, memory_gb), cores_2_plus_1(cpus)
    finals = {e["final"] for e in engine.values()}
    sizes = sorted(set(args.sizes) | finals | {formula, rule})
    full = {s: [] for s in sizes}
    sweep_passes(workload, sizes, full, args.repeats)
    tps = lambda s: statistics.median(m["tps"] for m in full[s])
    best = max(tps(s) for s in sizes)
    # The close contenders for the best throughput, and the engine's sizes, get more runs.
    close = [s for s in sizes if tps(s) >= (1 - args.refine_margin) * best or s in finals]
    tps_score, passes = {}, []
    if args.refine_repeats and len(close) > 1:
        log(f"{workload} full speed, refining {close}")
        passes = sweep_passes(workload, close, full, args.refine_repeats, seconds=args.refine_seconds)
        tps_score = blocked_tps_scores(passes)
    med = {s: {"tps": tps(s), "p95_full_ms": statistics.median(m["p95_ms"] for m in full[s]),
               "tps_runs": [round(m["tps"]) for m in full[s]],
               "host_cpu": statistics.median(m["host_cpu"] for m in full[s]),
               "cpu_ms_per_tx": statistics.median(m["cpu_ms_per_tx"] for m in full[s])} for s in sizes}
    best_tps = max(v["tps"] for v in med.values())
    rate = args.rate_share * best_tps
    at_rate = {s: [] for s in sizes}
    order = list(sizes)
    random.Random(len(sizes)).shuffle(order)
    sweep_passes(workload, order, at_rate, args.rate_repeats, rate)
    p95 = lambda s: statistics.median(m["p95_ms"] for m in at_rate[s])
    best = min(p95(s) for s in sizes)
    close = [s for s in order if p95(s) <= (1 + 2 * args.refine_margin) * best or s in finals]
    if args.refine_repeats and len(close) > 1:
        log(f"{workload} at {rate:.0f} tx/s, refining {close}")
        sweep_passes(workload, close, at_rate, args.refine_repeats, rate, args.refine_seconds)
    for s in sizes:
        med[s]["p95_rate_ms"] = p95(s)
        med[s]["rate_tps"] = statistics.median(m["tps"] for m in at_rate[s])
        med[s]["p95_rate_runs"] = [round(m["p95_ms"], 2) for m in at_rate[s]]
    best_full_p95 = min(v["p95_full_ms"] for v in med.values())
    best_rate_p95 = min(v["p95_rate_ms"] for v in med.values())

    def ratios(size):
        """Ratios of medians; for throughput between two refined sizes, of their blocked scores."""
        v = med[size]
        out = {"size": size, "tps_ratio_medians": v["tps"] / best_tps,
               "p95_ratio": v["p95_rate_ms"] / best_rate_p95,
               "p95_full_ratio": v["p95_full_ms"] / best_full_p95}
        out["tps_ratio"] = (tps_score[size] / max(tps_score.values()) if size in tps_score
                            else out["tps_ratio_medians"])
        out["tps_ratio_interval"] = bootstrap_tps_ratio(passes, size) if size in tps_score else None
        return out
    def meets_both(size):
        r = ratios(size)
        return r["tps_ratio"] >= 0.95 and r["p95_ratio"] <= 1.2
    return {"workload": workload, "rate": rate, "best_tps": best_tps,
            "sizes_meeting_both": [s for s in sizes if meets_both(s)],
            "best_tps_size": max(sizes, key=lambda s: med[s]["tps"]),
            "best_p95_rate_ms": best_rate_p95,
            "best_p95_rate_size": min(sizes, key=lambda s: med[s]["p95_rate_ms"]),
            "best_p95_full_ms": best_full_p95, "sweep": med,
            "tps_blocked_scores": tps_score,
            "tps_passes": [{s: round(m["tps"]) for s, m in p.items()} for p in passes],
            "engine": {str(k): dict(v, **ratios(v["final"])) for k, v in engine.items()},
            "original_formula": ratios(formula), "cores_2_plus_1": ratios(rule)}


def mark(ok):
    return "" if ok else " ✗"


def interval(bounds):
    return f"{bounds[0]:.2f}–{bounds[1]:.2f}" if bounds else "—"


def report(results, machine):
    lines = ["| workload | start | engine steps | final | TPS ratio | 90 % of resamples | of medians "
             "| p95 ratio (fixed rate) | p95 ratio (full speed) | formula pool | TPS | p95 | cores×2+1 | TPS | p95 |",
             "|" + "---|" * 15]
    for r in results:
        f, c = r["original_formula"], r["cores_2_plus_1"]
        for start, e in r["engine"].items():
            trail = " → ".join([str(e["start"])] + [str(s["pool_size"]) for s in e["steps"]])
            lines.append(
                f"| {r['workload']} | {start} | {trail} | {e['size']} | {e['tps_ratio']:.2f}{mark(e['tps_ratio'] >= 0.95)} "
                f"| {interval(e['tps_ratio_interval'])} | {e['tps_ratio_medians']:.2f} "
                f"| {e['p95_ratio']:.2f}{mark(e['p95_ratio'] <= 1.2)} "
                f"| {e['p95_full_ratio']:.2f} "
                f"| {f['size']} | {f['tps_ratio']:.2f} | {f['p95_ratio']:.2f} "
                f"| {c['size']} | {c['tps_ratio']:.2f} | {c['p95_ratio']:.2f} |")
    lines.append("")
    for r in results:
        lines.append(f"{r['workload']}: best full-speed {r['best_tps']:.0f} tx/s at {r['best_tps_size']} clients; "
                     f"fixed rate {r['rate']:.0f} tx/s, best p95 {r['best_p95_rate_ms']:.2f} ms at "
                     f"{r['best_p95_rate_size']} clients; sizes meeting both targets: "
                     f"{', '.join(map(str, r['sizes_meeting_both'])) or 'none'}")
        if r["tps_blocked_scores"]:
            lines.append("")
            lines.append("throughput, blocked scores of the refined sizes (each run ÷ its pass's mean, median): "
                         + ", ".join(f"{s}: {v:.3f}" for s, v in sorted(r["tps_blocked_scores"].items())))
        lines.append("")
        lines.append("| clients | TPS (median) | runs | host CPU | CPU ms per tx | p95 full speed ms "
                     "| p95 at fixed rate ms | runs | TPS at fixed rate |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for s, v in sorted(r["sweep"].items()):
            lines.append(f"| {s} | {v['tps']:.0f} | {v['tps_runs']} | {100 * v['host_cpu']:.1f} % "
                         f"| {v['cpu_ms_per_tx']:.3f} | {v['p95_full_ms']:.2f} | "
                         f"{v['p95_rate_ms']:.2f} | {v['p95_rate_runs']} | {v['rate_tps']:.0f} |")
        lines.append("")
    return "\n".join(lines)


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--run-user", default="postgres")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workloads", default="select,tpcb,sleep")
    ap.add_argument("--sizes", default="1,2,4,8,16,32,64,96")
    ap.add_argument("--starts", default="2,96")
    ap.add_argument("--seconds", type=int, default=5, help="measured seconds per sweep run")
    ap.add_argument("--warmup", type=int, default=1, help="seconds dropped at the start of a run")
    ap.add_argument("--repeats", type=int, default=3, help="full-speed runs per size")
    ap.add_argument("--rate-repeats", type=int, default=5, help="fixed-rate runs per size")
    ap.add_argument("--rate-share", type=float, default=0.5)
    ap.add_argument("--refine-repeats", type=int, default=10,
                    help="extra passes over the close contenders and the engine's sizes (0: none)")
    ap.add_argument("--refine-seconds", type=int, default=3,
                    help="measured seconds per refining run: short passes keep the machine's drift out")
    ap.add_argument("--refine-margin", type=float, default=0.15,
                    help="close: within this share of the best throughput, or twice it of the best p95")
    ap.add_argument("--eval-seconds", type=int, default=2,
                    help="load after the window the pool held, before reading a recommendation")
    ap.add_argument("--evaluations", type=int, default=3)
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--sleep-ms", type=float, default=5)
    args = ap.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.starts = [int(s) for s in args.starts.split(",")]

    path = os.path.join(args.scratch, "sleep.sql")
    with open(path, "w") as fh:
        fh.write(SLEEP_SCRIPT.format(sleep=args.sleep_ms / 1000))
    os.chmod(path, 0o644)
    subprocess.run(as_user([pg("pgbench"), "-h", args.host, "-p", str(args.port), "-U", "postgres",
                            "-i", "-q", "-s", str(args.scale), "postgres"]), check=True, capture_output=True)
    psql("CHECKPOINT")
    host = psql("SELECT usable_cpus, usable_memory, storage FROM host_resources()")[0]
    cpus, memory_gb = float(host[0]), int(host[1]) / 2**30
    settings = dict(psql("SELECT name, setting FROM pg_settings WHERE name LIKE 'pool_optimizer.%' "
                         "OR name IN ('max_connections','shared_buffers','synchronous_commit')"))
    started = datetime.now(timezone.utc)
    machine = {"nproc": os.cpu_count(), "usable_cpus": cpus, "usable_memory_gb": round(memory_gb, 1),
               "storage": host[2], "kernel": platform.release(),
               "postgres": psql("SHOW server_version")[0][0], "settings": settings,
               "loadavg_at_start": open("/proc/loadavg").read().split()[:3]}
    results = [run_workload(w, cpus, memory_gb) for w in args.workloads.split(",")]
    finished = datetime.now(timezone.utc)
    machine["loadavg_at_end"] = open("/proc/loadavg").read().split()[:3]
    doc = {"command": " ".join(sys.argv), "started": started.isoformat(timespec="seconds"),
           "finished": finished.isoformat(timespec="seconds"), "machine": machine,
           "options": {k: v for k, v in vars(args).items() if k not in ("bindir", "host", "scratch")},
           "results": results}
    stamp = started.strftime("%Y%m%dT%H%M%S")
    with open(os.path.join(args.out, f"pool_quality-{stamp}.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    text = report(results, machine)
    with open(os.path.join(args.out, f"pool_quality-{stamp}.md"), "w") as fh:
        fh.write(f"started {doc['started']}, finished {doc['finished']}\n\n{json.dumps(machine)}\n\n{text}\n")
    print(text)


if __name__ == "__main__":
    main()
