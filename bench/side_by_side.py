#!/usr/bin/env python3
"""Runs attograd, libtorch and PyTorch on the same workloads, each at several thread settings, side by side.

    /usr/bin/python3 bench/side_by_side.py [--workloads mha seq2seq transformer conv caption lm generate]
        [--rounds 3] [--iters 20] [--warmup 3] [--settle 2] [--threads 1 2] [--json FILE]
        [--bench build/release/bench/attograd-bench] [--libtorch build-libtorch/bench/libtorch-bench]

The peers: attograd-bench, libtorch-bench (bench/libtorch_bench.cpp) and PyTorch (compare_torch.py
--torch-only). Each runs every workload at its default thread setting and at each --threads N:
  default  no OPENBLAS_NUM_THREADS or OMP_NUM_THREADS in the environment and no thread call:
           attograd then uses every core, libtorch and PyTorch their own defaults (intra-op
           threads = physical cores; OpenBLAS's threads = logical cores)
  N        OPENBLAS_NUM_THREADS=N and OMP_NUM_THREADS=N (attograd's pool obeys the first:
           blas::max_threads()), plus --threads N for libtorch-bench and compare_torch.py
Every process runs one workload (so peak RSS is per workload). A workload runs --rounds rounds;
each round runs every configuration (peer x setting) once, in an order rotated from round to
round, after --settle seconds of quiet, so a machine that drifts from minute to minute touches
every configuration alike.

The table, per workload (times in ms per step; generate's in ms per generated token, prefill
included): each peer's median at its default setting and at its best (the setting with the lowest
median, and which); attograd / peer, the ratio of attograd's best to that peer's best (the
median of the per-round ratios, as compare_torch.py; below 1: attograd is faster); and the
fraction of raw sgemm each reaches: attograd's fraction_of_sgemm, and for the peers attograd's
GEMM FLOPs per step over their time over attograd's sgemm_gflops at the same setting (a step does
the same products in every framework). generate reports no FLOPs. --json FILE writes every run.
Needs Debian's python3-torch for PyTorch and libtorch-dev for libtorch-bench; a missing peer is
skipped with a line saying how to get it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = ["mha", "seq2seq", "transformer", "conv", "caption", "lm", "generate"]
PEERS = ["attograd", "libtorch", "pytorch"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--workloads", nargs="+", default=WORKLOADS, choices=WORKLOADS, metavar="W",
                   help=f"workloads to run, from: {' '.join(WORKLOADS)}")
    p.add_argument("--rounds", type=int, default=3, help="rounds per workload (every configuration once each)")
    p.add_argument("--iters", type=int, default=20, help="timed steps per process (generate: min(iters, 3) runs)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up steps per process")
    p.add_argument("--settle", type=float, default=2.0, help="seconds of quiet before each process")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="explicit thread settings, besides default")
    p.add_argument("--json", metavar="FILE", help="write every run (command, settings, output) to FILE")
    p.add_argument("--bench", default=os.path.join(ROOT, "build", "release", "bench", "attograd-bench"),
                   help="attograd-bench")
    p.add_argument("--libtorch", default=os.path.join(ROOT, "build-libtorch", "bench", "libtorch-bench"),
                   help="libtorch-bench (skipped if missing)")
    a = p.parse_args()
    if a.rounds < 1 or a.iters < 1 or a.warmup < 0 or a.settle < 0 or min(a.threads) < 1:
        p.error("--rounds, --iters and each --threads must be at least 1, --warmup and --settle at least 0")
    return a


def available_peers(a):
    """The peers that can run here; a line on stderr for each one skipped."""
    if not os.access(a.bench, os.X_OK):
        sys.exit(f"side_by_side.py: {a.bench} not found; build it first (cmake --build --preset release)")
    peers = ["attograd"]
    if os.access(a.libtorch, os.X_OK):
        peers.append("libtorch")
    else:
        print(f"side_by_side.py: skipping libtorch: {a.libtorch} not found. Build it (needs libtorch-dev) in {ROOT}:\n"
              f"    cmake -B build-libtorch -DCMAKE_BUILD_TYPE=Release -DATTOGRAD_BUILD_LIBTORCH_BENCH=ON && "
              f"cmake --build build-libtorch --target libtorch-bench\n  or give its path with --libtorch",
              file=sys.stderr)
    if subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0:
        peers.append("pytorch")
    else:
        print(f"side_by_side.py: skipping pytorch: {sys.executable} cannot import torch "
              f"(apt-get install python3-torch, and run this with /usr/bin/python3)", file=sys.stderr)
    return peers


def command(a, peer, setting, workload):
    """The command line and environment of one run; setting is "default" or a thread count."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    steps = ["--iters", str(a.iters), "--warmup", str(a.warmup)]
    threads = [] if setting == "default" else ["--threads", str(setting)]
    if setting != "default":
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(setting)
    if peer == "attograd":
        return [a.bench, workload, *steps], env
    if peer == "libtorch":
        return [a.libtorch, workload, *steps, *threads], env
    own = ["--as-installed"] if setting == "default" else threads
    return [sys.executable, os.path.join(HERE, "compare_torch.py"), "--torch-only", workload, *steps, *own], env


def run(a, peer, setting, workload, round_):
    cmd, env = command(a, peer, setting, workload)
    time.sleep(a.settle)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    record = {"workload": workload, "peer": peer, "setting": setting, "round": round_, "command": cmd,
              "threads_env": env.get("OPENBLAS_NUM_THREADS"), "returncode": done.returncode}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and lines:
        record["result"] = json.loads(lines[-1])
    else:
        record["error"] = done.stderr.strip()[-2000:]
        last = (done.stderr.strip().splitlines() or ["no output on stderr"])[-1]
        print(f"side_by_side.py: {workload}: {peer} (threads {setting}) failed, exit {done.returncode}: {last}",
              file=sys.stderr)
    return record


def metric_of(workload):
    return "ms_per_token" if workload == "generate" else "ms_per_step"


def summarize(workload, peers, settings, records):
    """Prints the workload's rows of the table."""
    metric = metric_of(workload)
    ok = [r for r in records if "result" in r and metric in r["result"]]

    def times(peer, setting):
        return {r["round"]: r["result"][metric] for r in ok if r["peer"] == peer and r["setting"] == setting}

    def best(peer):  # (setting, median) of the lowest median
        medians = [(s, statistics.median(t.values())) for s in settings if (t := times(peer, s))]
        return min(medians, key=lambda m: m[1]) if medians else (None, None)

    def of_attograd(setting, key):  # the median of a key of attograd's runs at that setting
        values = [r["result"][key] for r in ok if r["peer"] == "attograd" and r["setting"] == setting
                  and key in r["result"]]
        return statistics.median(values) if values else None

    ours_setting, _ = best("attograd")
    flops = of_attograd(ours_setting, "flops_per_step")
    rounds = len({r["round"] for r in records})
    print(f"{workload} ({metric}, {rounds} round{'s' if rounds > 1 else ''})")
    for peer in peers:
        default = times(peer, "default")
        setting, median = best(peer)
        cells = [f"{statistics.median(default.values()):>10.3f}" if default else f"{'-':>10}",
                 f"{median:>10.3f}" if median is not None else f"{'-':>10}", f"{str(setting or '-'):>8}"]
        if peer == "attograd":
            fraction = of_attograd(setting, "fraction_of_sgemm")
            ratio = None
        else:
            sgemm = of_attograd(setting, "sgemm_gflops") or of_attograd(ours_setting, "sgemm_gflops")
            fraction = flops / median / 1e6 / sgemm if flops and median and sgemm else None
            ours, theirs = times("attograd", ours_setting), times(peer, setting) if setting else {}
            pairs = [ours[r] / theirs[r] for r in ours if r in theirs]
            ratio = statistics.median(pairs) if pairs else None
        cells.append(f"{fraction:>9.3f}" if fraction is not None else f"{'-':>9}")
        cells.append(f"{ratio:>14.3f}" if ratio is not None else f"{'':>14}")
        print(f"  {peer:<10}" + " ".join(cells))


def main():
    a = parse_args()
    peers = available_peers(a)
    settings = ["default", *a.threads]
    configs = [(peer, s) for peer in peers for s in settings]
    records = []
    print(f"{'':<12}{'default':>10} {'best':>10} {'at':>8} {'of sgemm':>9} {'attograd/peer':>14}")
    for workload in a.workloads:
        ran = []
        for r in range(a.rounds):
            shift = r * len(configs) // a.rounds  # each configuration in another part of each round
            for peer, setting in configs[shift:] + configs[:shift]:
                ran.append(run(a, peer, setting, workload, r))
        summarize(workload, peers, settings, ran)
        sys.stdout.flush()
        records += ran
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"settings": vars(a), "peers": peers, "runs": records}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
