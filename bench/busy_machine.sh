#!/usr/bin/env bash
# attograd on a busy machine: each workload's time per step quiet, with one other CPU-bound
# program running (a shell loop, as a learner's browser or build would be), and limited to one
# thread under the same load; then the ratios the speed pass holds to (busy / one thread ≤ 1.2,
# busy / quiet ≤ 2.5 on a 2-core machine). Runs alternate; each number is the median of ROUNDS.
#   bench/busy_machine.sh [BENCH] [ROUNDS] [WORKLOADS...]
#   bench/busy_machine.sh build/release/bench/attograd-bench 3 mha seq2seq transformer conv caption
set -euo pipefail
bench=${1:-build/release/bench/attograd-bench}
rounds=${2:-3}
shift $(( $# > 2 ? 2 : $# ))
workloads=("${@:-mha seq2seq transformer conv caption}")
[ -x "$bench" ] || { echo "busy_machine.sh: no benchmark at $bench (build it: cmake --build --preset release)" >&2; exit 2; }
out=$(mktemp -d)
trap 'kill $busy 2>/dev/null || true; rm -rf "$out"' EXIT
busy=""
run() {  # run LABEL [env...]: one round of every workload, appended to $out/LABEL
  local label=$1; shift
  env "$@" "$bench" ${workloads[*]} --iters 20 2>/dev/null | grep '^{' >> "$out/$label"
}
for ((r = 1; r <= rounds; r++)); do
  run quiet
  (while :; do :; done) & busy=$!
  sleep 0.5
  run busy
  run busy_one_thread OPENBLAS_NUM_THREADS=1
  kill $busy; wait $busy 2>/dev/null || true; busy=""
done
python3 - "$out" <<'PY'
import json, statistics, sys, os
d = sys.argv[1]
def medians(label):
    per = {}
    for line in open(os.path.join(d, label)):
        j = json.loads(line)
        per.setdefault(j["workload"], []).append(j["ms_per_step"])
    return {w: statistics.median(v) for w, v in per.items()}
q, b, o = medians("quiet"), medians("busy"), medians("busy_one_thread")
print(f"{'ms per step':14}{'quiet':>9}{'busy':>9}{'busy, 1 thread':>16}{'busy/1 thread':>15}{'busy/quiet':>12}")
for w in q:
    print(f"{w:14}{q[w]:9.1f}{b[w]:9.1f}{o[w]:16.1f}{b[w] / o[w]:15.2f}{b[w] / q[w]:12.2f}")
PY
