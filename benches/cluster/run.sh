#!/usr/bin/env bash
# The full rule pack on one store, locally and on a cluster of a scheduler and two executors on
# this machine, interleaved: each run's time and peak memory, and whether the cluster's JSON report
# is the local one (apart from generated_at).
#
#   cargo build --release && benches/cluster/run.sh [STORE] [RUNS]
#
# STORE defaults to the peer benchmark's 10M-event store (benches/peers/run.py --scale 10m makes
# it). Ports 50050, 50051-50052 and 50061-50062 must be free.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
store="${1:-$root/target/bench-data/peers/store}"
runs="${2:-2}"
xaudit="$root/target/release/xaudit"
work="$root/target/bench-data/cluster"
[ -x "$xaudit" ] || { echo "no $xaudit: run cargo build --release first" >&2; exit 2; }
[ -d "$store/events" ] || { echo "no store at $store: run benches/peers/run.py --scale 10m first" >&2; exit 2; }
mkdir -p "$work"

peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
same_report() {
    python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for r in (a, b):
    r.pop("generated_at", None)
print("same report" if a == b else "REPORTS DIFFER")
sys.exit(a != b)
PY
}

for i in $(seq "$runs"); do
    rm -rf "$work/roles" && mkdir -p "$work/roles"
    "$xaudit" cluster scheduler --bind 127.0.0.1:50050 2> "$work/roles/scheduler.log" &
    scheduler=$!
    sleep 2
    "$xaudit" cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50051 \
        --work-dir "$work/roles/x1" 2> "$work/roles/x1.log" &
    x1=$!
    "$xaudit" cluster executor --scheduler 127.0.0.1:50050 --bind 127.0.0.1:50061 \
        --work-dir "$work/roles/x2" 2> "$work/roles/x2.log" &
    x2=$!
    sleep 3
    /usr/bin/time -q -f "cluster, run $i: %e s, client peak %M KiB" -o "$work/time" \
        "$xaudit" audit --store "$store" --format json --cluster df://127.0.0.1:50050 \
        > "$work/cluster.json" || [ $? -eq 1 ]
    echo "$(cat "$work/time"), executors peak $(peak_kib $x1) KiB and $(peak_kib $x2) KiB"
    kill $x1 $x2 $scheduler
    wait $x1 $x2 $scheduler 2> /dev/null || true

    /usr/bin/time -q -f "local, run $i: %e s, peak %M KiB" -o "$work/time" \
        "$xaudit" audit --store "$store" --format json > "$work/local.json" || [ $? -eq 1 ]
    cat "$work/time"
    same_report "$work/local.json" "$work/cluster.json"
done
