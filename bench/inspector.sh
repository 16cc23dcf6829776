#!/usr/bin/env bash
# bench/inspector.sh — what does the inspector cost the receiver?
#
# Runs `listen --json` and `listen --json --ui` alternately, RUNS times each, with the
# same wrk load (the webinar.reminder.all example body, CONNS connections,
# DURATION), the receiver pinned to CPU 0 and the load — and, with --ui, one client of
# the page's stream (/api/stream?view=list, read as fast as it comes) — on CPU 1. Reports the
# median req/s and p99 of each and their ratios. Goals: --ui ≥ 0.9× the throughput,
# p99 ≤ 1.2×.
#
# Then BIG deliveries (default 100,000, loadgen, one distinct body each) to
# `listen --json --ui` with the page open in headless Chromium: every delivery
# answered 2xx must be a line of stdout and an entry the inspector counted (kept or
# dropped by --ui-keep), and the peak RSS (VmHWM) of listen must stay ≤ 100 MiB with
# the default --ui-keep of 10,000.
#
# Not run by CI. Needs Go, taskset, wrk, curl and chromium (the Debian packages), and
# 2 CPUs. Tunables: DURATION (default 10s), CONNS (default 50), RUNS (default 3),
# BIG (default 100000), KEEP=1 (keep the scratch directory).
set -euo pipefail

DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
RUNS=${RUNS:-3}
BIG=${BIG:-100000}

cd "$(dirname "$0")/.."
. bench/lib.sh
need_tools wrk taskset curl chromium

tmp=$(mktemp -d)
PID="" SSE="" COUNT="" BROWSER=""
cleanup() {
	for p in "$PID" "$SSE" "$BROWSER"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	drop_tmp "$tmp"
}
trap cleanup EXIT

build "$tmp" loadgen

wrk_body "$tmp"

# start NAME ARGS… — a listen --json on CPU 0; sets PID, URL and, with --ui, UI.
start() {
	local name=$1
	shift
	: >"$tmp/$name.err"
	taskset -c 0 "$tmp/tagmango-hooks" listen --port 0 --json "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	PID=$!
	local want='^Ready: listening on '
	[[ " $* " == *" --ui "* ]] && want='^Inspector: '
	wait_ready "$PID" "$tmp/$name.err" "$want"
	UI=$(sed -n 's/^Inspector: \(http[^ ]*\).*/\1/p' "$tmp/$name.err" | head -1)
}
stop() {
	kill -INT "$PID"
	wait "$PID" || true
	PID=""
}

# throughput NAME ARGS… — appends "rps p50 p99 printed streamed" to $tmp/NAME.runs.
throughput() {
	local name=$1
	shift
	start "$name" "$@"
	echo 0 >"$tmp/$name.sse"
	if [ -n "$UI" ]; then
		# The page's stream, counted through a pipe: written to a file, its hundreds
		# of megabytes would be the disk's write-back competing with the receiver.
		rm -f "$tmp/stream"
		mkfifo "$tmp/stream"
		taskset -c 1 grep -c '^event: entry' <"$tmp/stream" >"$tmp/$name.sse" &
		COUNT=$!
		taskset -c 1 curl -sN "${UI}api/stream?view=list" >"$tmp/stream" &
		SSE=$!
	fi
	taskset -c 1 wrk -t1 -c"$CONNS" -d2s -s "$tmp/post.lua" "$URL" >/dev/null
	taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$tmp/post.lua" "$URL" >"$tmp/$name.wrk"
	sleep 1 # the stream catches up
	[ -n "$SSE" ] && { kill "$SSE" 2>/dev/null || true; wait "$SSE" 2>/dev/null || true; wait "$COUNT" || true; SSE=""; }
	stop
	echo "$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$tmp/$name.wrk") $(to_ms "$(awk '$1 == "50%" {print $2}' "$tmp/$name.wrk")") $(to_ms "$(awk '$1 == "99%" {print $2}' "$tmp/$name.wrk")") $(wc -l <"$tmp/$name.out") $(cat "$tmp/$name.sse")" >>"$tmp/$name.runs"
}

echo "throughput: $RUNS × (listen --json, listen --json --ui + a stream reader) for $DURATION each, $CONNS connections…" >&2
for _ in $(seq "$RUNS"); do
	throughput json
	throughput ui --ui --ui-port 0
done

echo "exact: $BIG deliveries at concurrency $CONNS to listen --json --ui, with the page open in Chromium…" >&2
start big --ui --ui-port 0
taskset -c 1 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$tmp/chromium" --remote-debugging-port=0 "$UI" >/dev/null 2>&1 &
BROWSER=$!
sleep 3 # the page loads and opens its stream
res=$(taskset -c 1 "$tmp/loadgen" -url "$URL" -body "$tmp/body.json" -n "$BIG" -c "$CONNS" -replace john@example.com)
sleep 2
STATS=$(curl -s "${UI}api/stats")
HWM=$(hwm_kib "$PID")
kill "$BROWSER" 2>/dev/null || true
wait "$BROWSER" 2>/dev/null || true
BROWSER=""
stop
OK=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$res")
PRINTED=$(wc -l <"$tmp/big.out")
KEPT=$(sed -n 's/.*"deliveries":\([0-9]*\).*/\1/p' <<<"$STATS")
DROPPED=$(sed -n 's/.*"dropped":\([0-9]*\).*/\1/p' <<<"$STATS")
INSPECTED=$((KEPT + DROPPED))
LOST=$((OK > PRINTED ? OK - PRINTED : 0))

j_rps=$(median "$tmp/json.runs" 1) u_rps=$(median "$tmp/ui.runs" 1)
j_p99=$(median "$tmp/json.runs" 3) u_p99=$(median "$tmp/ui.runs" 3)
echo
echo "inspector benchmark — median of $RUNS runs of wrk -c$CONNS -d$DURATION, receiver on CPU 0, load and stream reader on CPU 1; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-34s %8s %6s %8s %8s %6s %10s\n" receiver "req/s" "×json" "p50 ms" "p99 ms" "×json" streamed
printf "%-34s %8s %6s %8s %8s %6s %10s\n" "listen --json" "$j_rps" "1.00" "$(median "$tmp/json.runs" 2)" "$j_p99" "1.00" "-"
printf "%-34s %8s %6s %8s %8s %6s %10s\n" "listen --json --ui (+ stream)" "$u_rps" "$(ratio "$u_rps" "$j_rps")" "$(median "$tmp/ui.runs" 2)" "$u_p99" "$(ratio "$u_p99" "$j_p99")" "$(median "$tmp/ui.runs" 5)/$(median "$tmp/ui.runs" 4)"
echo "(streamed: entries the stream reader got / lines listen printed, in the median run)"
echo "runs (req/s p50 p99): json $(awk '{printf " %s %s %s;", $1, $2, $3}' "$tmp/json.runs")"
echo "                      ui  $(awk '{printf " %s %s %s;", $1, $2, $3}' "$tmp/ui.runs")"
echo
echo "exact run with the page open: $OK answered 2xx, $PRINTED printed, $INSPECTED in the inspector ($KEPT kept, $DROPPED dropped by --ui-keep), peak RSS $(mib "$HWM") MiB"
echo "goals:"
verdict "--ui ≥ 0.9× the throughput ($(ratio "$u_rps" "$j_rps")×)" "$u_rps >= 0.9 * $j_rps"
verdict "--ui p99 ≤ 1.2× ($(ratio "$u_p99" "$j_p99")×)" "$u_p99 <= 1.2 * $j_p99"
verdict "$BIG deliveries with the page open: 0 lost ($LOST), all in the inspector ($INSPECTED)" "$LOST == 0 && $OK == $BIG && $INSPECTED == $OK"
verdict "peak RSS ≤ 100 MiB ($(mib "$HWM") MiB)" "$HWM <= 102400"
