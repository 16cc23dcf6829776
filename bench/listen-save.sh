#!/usr/bin/env bash
# bench/listen-save.sh — what does the promise of --save cost?
#
# With --save, listen answers a delivery only once its line has been written (group
# commit: one write(2) per batch). This runs `listen --json` and `listen --json --save
# FILE` alternately, RUNS times each, with the same wrk load (the webinar.reminder.all
# example body, CONNS connections, DURATION), receiver pinned to CPU 0 and load to CPU
# 1, and reports the median req/s, p50/p99 and the ratio. Goal: --save ≥ 0.8× --json.
# Then an exact run (loadgen, N deliveries): every delivery must be answered 2xx and be
# a line of the file.
#
# Not run by CI. Needs Go, taskset and wrk, and 2 CPUs. Tunables: DURATION (default
# 10s), CONNS (default 50), RUNS (default 3), N (default 20000), FSYNC=1 to measure
# --save-fsync as well, KEEP=1 (keep the scratch directory).
set -euo pipefail

DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
RUNS=${RUNS:-3}
N=${N:-20000}
FSYNC=${FSYNC:-0}

cd "$(dirname "$0")/.."
. bench/lib.sh
need_tools wrk taskset

tmp=$(mktemp -d)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	drop_tmp "$tmp"
}
trap cleanup EXIT

build "$tmp" loadgen

wrk_body "$tmp"

# start NAME ARGS… — a listen on CPU 0; sets PID and URL.
start() {
	local name=$1
	shift
	rm -f "$tmp/$name.jsonl"
	: >"$tmp/$name.err" # before the start: the old Ready line must not be read
	taskset -c 0 "$tmp/tagmango-hooks" listen --port 0 --json "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	PID=$!
	wait_ready "$PID" "$tmp/$name.err"
}
stop() {
	kill -INT "$PID"
	wait "$PID" || true
	PID=""
}

# throughput NAME ARGS… — appends "rps p50 p99" to $tmp/NAME.runs.
throughput() {
	local name=$1
	shift
	start "$name" "$@"
	taskset -c 1 wrk -t1 -c"$CONNS" -d2s -s "$tmp/post.lua" "$URL" >/dev/null
	taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$tmp/post.lua" "$URL" >"$tmp/$name.wrk"
	stop
	echo "$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$tmp/$name.wrk") $(to_ms "$(awk '$1 == "50%" {print $2}' "$tmp/$name.wrk")") $(to_ms "$(awk '$1 == "99%" {print $2}' "$tmp/$name.wrk")")" >>"$tmp/$name.runs"
}

modes="json save"
[ "$FSYNC" = 1 ] && modes="$modes fsync"
echo "throughput: $RUNS × ($modes) for $DURATION each, $CONNS connections…" >&2
for _ in $(seq "$RUNS"); do
	throughput json
	throughput save --save "$tmp/save.jsonl"
	[ "$FSYNC" = 1 ] && throughput fsync --save "$tmp/fsync.jsonl" --save-fsync
done

echo "exact: $N deliveries at concurrency $CONNS with --save…" >&2
start exact --save "$tmp/exact.jsonl"
res=$(taskset -c 1 "$tmp/loadgen" -url "$URL" -body "$tmp/body.json" -n "$N" -c "$CONNS" -replace john@example.com)
stop
OK=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$res")
SAVED=$(wc -l <"$tmp/exact.jsonl")

j_rps=$(median "$tmp/json.runs" 1)
echo
echo "listen --save benchmark — median of $RUNS runs of wrk -c$CONNS -d$DURATION; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-30s %8s %6s %8s %8s\n" receiver "req/s" "×json" "p50 ms" "p99 ms"
for m in $modes; do
	f=$tmp/$m.runs
	case $m in
	json) label="listen --json" ;;
	save) label="listen --json --save" ;;
	fsync) label="… --save --save-fsync" ;;
	esac
	printf "%-30s %8s %6s %8s %8s\n" "$label" "$(median "$f" 1)" "$(ratio "$(median "$f" 1)" "$j_rps")" "$(median "$f" 2)" "$(median "$f" 3)"
done
echo
echo "exact run: $OK answered 2xx, $SAVED lines saved"
s_rps=$(median "$tmp/save.runs" 1)
verdict "--save ≥ 0.8× --json ($(ratio "$s_rps" "$j_rps")×)" "$s_rps >= 0.8 * $j_rps"
verdict "all $N answered 2xx ($OK), every 2xx a saved line ($SAVED)" "$OK == $N && $OK <= $SAVED"
