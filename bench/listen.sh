#!/usr/bin/env bash
# bench/listen.sh — does `listen` keep up with TagMango's fan-out?
#
# Drives three receivers with the same delivery (the webinar.reminder.all example, the
# event TagMango fans out three times per participant), one after the other, each
# pinned to CPU 0 while the load generator runs on CPU 1:
#
#   minimal          bench/minimal: net/http reading the body and answering 200
#   listen --json    stdout to a file
#   listen (pretty)  stdout to a file
#
# and reports requests/s, p50/p99 latency, CPU per request, peak RSS (VmHWM), and
# deliveries lost (answered 2xx but never printed), with ratios to the minimal
# receiver. Then an exact-count burst (1000 deliveries, concurrency 100) and a
# 100,000-delivery run, where nothing may be lost and peak RSS must stay under 40 MiB.
#
# Not run by CI. Needs Go, taskset and wrk (installed with apt-get when missing) and
# at least 2 CPUs. Tunables: DURATION (default 10s), CONNS (default 50), RUNS (the
# throughput runs are repeated RUNS times, alternating receivers, and the median is
# reported; default 3), BIG (default 100000), KEEP=1 (keep the scratch directory).
set -euo pipefail

DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
RUNS=${RUNS:-3}
BIG=${BIG:-100000}
LOAD_CPU=1
RECV_CPU=0

cd "$(dirname "$0")/.."
. bench/lib.sh

need() {
	command -v "$1" >/dev/null 2>&1 && return
	echo "installing $2…" >&2
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq "$2" >/dev/null
}
need wrk wrk
need taskset util-linux
need_tools wrk taskset

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	drop_tmp "$tmp"
}
trap cleanup EXIT

build "$tmp" minimal loadgen

# The webinar.reminder.all example payload (454 bytes).
wrk_body "$tmp"

# start NAME CMD... — starts a receiver on RECV_CPU and waits for its Ready line;
# sets PID and URL.
start() {
	local name=$1
	shift
	: >"$tmp/$name.out"
	: >"$tmp/$name.err"
	taskset -c $RECV_CPU "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	PID=$!
	pids+=("$PID")
	wait_ready "$PID" "$tmp/$name.err"
}

# stop — ends the receiver the way Ctrl-C does and waits for it (listen then drains
# and prints everything it answered).
stop() {
	kill -INT "$PID"
	wait "$PID" || true
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# entries NAME KIND — deliveries printed by a receiver.
entries() {
	case $2 in
	json) wc -l <"$tmp/$1.out" ;;
	pretty) grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] #[0-9]' "$tmp/$1.out" || true ;;
	*) echo 0 ;;
	esac
}

# throughput NAME KIND CMD... — one wrk run against a fresh receiver; appends
# "rps p50 p99 cpu_us_per_req hwm_kib requests printed" to $tmp/NAME.runs.
throughput() {
	local name=$1 kind=$2
	shift 2
	start "$name" "$@"
	# Warm up (connections, page cache, GC pacing), then measure.
	taskset -c $LOAD_CPU wrk -t1 -c"$CONNS" -d2s -s "$tmp/post.lua" "$URL" >/dev/null
	local before t0 t1
	sleep 0.2
	before=$(entries "$name" "$kind")
	t0=$(cpu_ticks "$PID")
	taskset -c $LOAD_CPU wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$tmp/post.lua" "$URL" >"$tmp/$name.wrk"
	t1=$(cpu_ticks "$PID")
	local hwm
	hwm=$(hwm_kib "$PID")
	stop
	local after requests rps p50 p99 tick
	after=$(entries "$name" "$kind")
	requests=$(awk '/requests in/ {print $1}' "$tmp/$name.wrk")
	rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$tmp/$name.wrk")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$tmp/$name.wrk")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$tmp/$name.wrk")")
	tick=$(getconf CLK_TCK)
	echo "$rps $p50 $p99 $(((t1 - t0) * 1000000 / tick / requests)) $hwm $requests $((after - before))" >>"$tmp/$name.runs"
}

echo "throughput: $RUNS × (minimal, listen --json, listen) for $DURATION each, $CONNS connections…" >&2
for _ in $(seq "$RUNS"); do
	throughput minimal none "$tmp/minimal"
	throughput json json "$tmp/tagmango-hooks" listen --port 0 --json
	throughput pretty pretty "$tmp/tagmango-hooks" listen --port 0
done

# exact NAME KIND N C CMD... — N deliveries at concurrency C with loadgen; sets
# SENT OK PRINTED LOST HWM.
exact() {
	local name=$1 kind=$2 n=$3 c=$4
	shift 4
	start "$name" "$@"
	local res
	# One distinct body per participant, as TagMango sends them.
	res=$(taskset -c $LOAD_CPU "$tmp/loadgen" -url "$URL" -body "$tmp/body.json" -n "$n" -c "$c" -replace john@example.com)
	HWM=$(hwm_kib "$PID")
	stop
	SENT=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$res")
	OK=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$res")
	PRINTED=$(entries "$name" "$kind")
	LOST=$((OK - PRINTED))
	[ "$LOST" -lt 0 ] && LOST=0
	EXACT_RPS=$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$res")
}

echo "burst: 1000 deliveries at concurrency 100…" >&2
exact burst json 1000 100 "$tmp/tagmango-hooks" listen --port 0 --json
B_SENT=$SENT B_OK=$OK B_PRINTED=$PRINTED B_LOST=$LOST
echo "long run: $BIG deliveries at concurrency $CONNS, --json and pretty…" >&2
exact bigjson json "$BIG" "$CONNS" "$tmp/tagmango-hooks" listen --port 0 --json
J_SENT=$SENT J_OK=$OK J_PRINTED=$PRINTED J_LOST=$LOST J_HWM=$HWM J_RPS=$EXACT_RPS
exact bigpretty pretty "$BIG" "$CONNS" "$tmp/tagmango-hooks" listen --port 0
P_SENT=$SENT P_OK=$OK P_PRINTED=$PRINTED P_LOST=$LOST P_HWM=$HWM P_RPS=$EXACT_RPS

m_rps=$(median "$tmp/minimal.runs" 1)
m_p99=$(median "$tmp/minimal.runs" 3)
m_cpu=$(median "$tmp/minimal.runs" 4)
echo
echo "listen benchmark — $(nproc) CPUs, receiver on CPU $RECV_CPU, load on CPU $LOAD_CPU, median of $RUNS runs of wrk -c$CONNS -d$DURATION"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews absolute figures; ratios hold better)"
echo
printf "%-16s %8s %6s %8s %8s %6s %8s %6s %9s %9s %6s\n" receiver "req/s" "×min" "p50 ms" "p99 ms" "×min" "CPU µs" "×min" "peak RSS" printed lost
for r in minimal json pretty; do
	f=$tmp/$r.runs
	rps=$(median "$f" 1) p50=$(median "$f" 2) p99=$(median "$f" 3) cpu=$(median "$f" 4) hwm=$(median "$f" 5)
	req=$(awk '{s += $6} END {print s}' "$f") printed=$(awk '{s += $7} END {print s}' "$f")
	lost="-"
	label=$r
	case $r in
	json) label="listen --json" lost=$((req > printed ? req - printed : 0)) ;;
	pretty) label="listen (pretty)" lost=$((req > printed ? req - printed : 0)) ;;
	minimal) printed="-" ;;
	esac
	printf "%-16s %8s %6s %8s %8s %6s %8s %6s %7sMiB %9s %6s\n" "$label" "$rps" "$(ratio "$rps" "$m_rps")" "$p50" "$p99" \
		"$(ratio "$p99" "$m_p99")" "$cpu" "$(ratio "$cpu" "$m_cpu")" "$(mib "$hwm")" "$printed" "$lost"
done
echo
echo "(printed counts every entry of the measured runs; wrk counts only answers it received"
echo " before its clock stopped, so printed may exceed the requests; lost = requests − printed)"
echo
printf "%-34s %8s %8s %8s %6s %9s %7s\n" "exact runs (loadgen)" sent "2xx" printed lost "peak RSS" "req/s"
printf "%-34s %8s %8s %8s %6s %9s %7s\n" "burst 1000 @100, listen --json" "$B_SENT" "$B_OK" "$B_PRINTED" "$B_LOST" "-" "-"
printf "%-34s %8s %8s %8s %6s %7sMiB %7s\n" "$BIG @$CONNS, listen --json" "$J_SENT" "$J_OK" "$J_PRINTED" "$J_LOST" "$(mib "$J_HWM")" "$J_RPS"
printf "%-34s %8s %8s %8s %6s %7sMiB %7s\n" "$BIG @$CONNS, listen (pretty)" "$P_SENT" "$P_OK" "$P_PRINTED" "$P_LOST" "$(mib "$P_HWM")" "$P_RPS"

echo
j_rps=$(median "$tmp/json.runs" 1) p_rps=$(median "$tmp/pretty.runs" 1)
j_p99=$(median "$tmp/json.runs" 3) p_p99=$(median "$tmp/pretty.runs" 3)
echo "goals:"
verdict "--json ≥ 0.8× the minimal receiver's req/s ($(ratio "$j_rps" "$m_rps")×)" "$j_rps >= 0.8 * $m_rps"
verdict "pretty ≥ 0.5× ($(ratio "$p_rps" "$m_rps")×)" "$p_rps >= 0.5 * $m_rps"
verdict "p99 ≤ 2× (--json $(ratio "$j_p99" "$m_p99")×, pretty $(ratio "$p_p99" "$m_p99")×)" "$j_p99 <= 2 * $m_p99 && $p_p99 <= 2 * $m_p99"
verdict "burst: 0 lost ($B_LOST)" "$B_LOST == 0 && $B_OK == $B_SENT"
verdict "$BIG deliveries: 0 lost (--json $J_LOST, pretty $P_LOST)" "$J_LOST == 0 && $P_LOST == 0 && $J_OK == $J_SENT && $P_OK == $P_SENT"
verdict "peak RSS ≤ 40 MiB after $BIG deliveries (--json $(mib "$J_HWM"), pretty $(mib "$P_HWM"))" "$J_HWM <= 40960 && $P_HWM <= 40960"
