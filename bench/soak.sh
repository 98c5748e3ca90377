#!/usr/bin/env bash
# Soak test of a long run (issue: runs that survive): translate's default model for 20 000 steps
# (about 13 minutes on 2 cores), its resident memory (VmRSS) read every second. Memory must not
# creep: after step 1 000 it stays within 5 % of its value there. Prints the figures and exits 1
# if it grew more.
#   bash bench/soak.sh [path/to/translate] [steps]      (default: build/release's, 20000)
set -euo pipefail
program=${1:-"$(dirname "$0")/../build/release/examples/translate/translate"}
steps=${2:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$program" --steps "$steps" --eval-every 1000 --no-report >"$work/out" 2>"$work/err" &
pid=$!
baseline="" peak=0 samples=0
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  if [ -n "$rss" ]; then
    if [ -z "$baseline" ] && grep -q "^step 1000:" "$work/err"; then baseline=$rss; fi
    if [ -n "$baseline" ]; then
      samples=$((samples + 1))
      if [ "$rss" -gt "$peak" ]; then peak=$rss; fi
      last=$rss
    fi
  fi
  sleep 1
done
wait "$pid"
if [ -z "$baseline" ]; then
  echo "soak: the run ended before step 1000" >&2
  exit 1
fi
growth=$(awk -v b="$baseline" -v p="$peak" 'BEGIN { printf "%.2f", 100 * (p - b) / b }')
echo "soak: $steps steps; VmRSS at step 1000: $((baseline / 1024)) MiB; largest after it: $((peak / 1024)) MiB" \
     "(+$growth %); at the end: $((last / 1024)) MiB; $samples samples"
tail -n 3 "$work/out"
awk -v g="$growth" 'BEGIN { exit !(g > 5) }' && { echo "soak: memory grew more than 5 %" >&2; exit 1; }
exit 0
