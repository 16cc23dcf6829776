#!/usr/bin/env bash
# bench/trigger.sh — how fast `trigger` fans out, next to hey.
#
# Delivers 1000 course.completed.50 payloads at concurrency 100 to a minimal local
# receiver (bench/trigger/receiver), once with `tagmango-hooks trigger` and once with
# hey (github.com/rakyll/hey), ROUNDS times each (alternating, after one warm-up), and
# prints the wall times (process start to exit: best, median and every round) and
# their ratios. The goal is trigger <= 1.5x hey. Not run by CI.
#
# Usage: bench/trigger.sh            (env: COUNT=1000 CONCURRENCY=100 ROUNDS=3 HEY=path)
set -euo pipefail

COUNT=${COUNT:-1000}
CONCURRENCY=${CONCURRENCY:-100}
ROUNDS=${ROUNDS:-3}
EVENT=course.completed.50

cd "$(dirname "$0")/.."
work=$(mktemp -d)
receiver_pid=
cleanup() {
	if [[ -n $receiver_pid ]]; then kill "$receiver_pid" 2>/dev/null || true; wait "$receiver_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building..." >&2
go build -o "$work/tagmango-hooks" ./cmd/tagmango-hooks
go build -o "$work/receiver" ./bench/trigger/receiver

hey=${HEY:-$(command -v hey || true)}
if [[ -z $hey && -x "$(go env GOPATH)/bin/hey" ]]; then hey="$(go env GOPATH)/bin/hey"; fi
if [[ -z $hey ]]; then
	echo "installing hey (go install github.com/rakyll/hey@latest)..." >&2
	GOBIN="$work" go install github.com/rakyll/hey@latest
	hey="$work/hey"
fi

"$work/receiver" -addr 127.0.0.1:0 >"$work/receiver.out" 2>"$work/receiver.err" &
receiver_pid=$!
for _ in $(seq 50); do [[ -s $work/receiver.out ]] && break; sleep 0.1; done
url=$(head -n1 "$work/receiver.out")
[[ -n $url ]] || { echo "the receiver did not start" >&2; cat "$work/receiver.err" >&2; exit 1; }

# hey sends one fixed body; trigger makes a distinct fake participant per delivery.
"$work/tagmango-hooks" events sample "$EVENT" --fake --seed 1 >"$work/body.json"

now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000000 )); }

run_trigger() {
	"$work/tagmango-hooks" trigger "$EVENT" --to "$url" --count "$COUNT" --concurrency "$CONCURRENCY" -o json >"$work/trigger.json"
}
run_hey() {
	"$hey" -n "$COUNT" -c "$CONCURRENCY" -m POST -T application/json -D "$work/body.json" "$url" >"$work/hey.txt"
}

# One warm-up of each, not timed.
run_trigger; run_hey

trigger_times=() hey_times=()
for _ in $(seq "$ROUNDS"); do
	t0=$(now_ns); run_trigger; trigger_times+=("$(ms_since "$t0")")
	t0=$(now_ns); run_hey; hey_times+=("$(ms_since "$t0")")
done

grep -q '"passed": true' "$work/trigger.json" || { echo "trigger reported failures:" >&2; cat "$work/trigger.json" >&2; exit 1; }
grep -q "\[200\]	$COUNT responses" "$work/hey.txt" || { echo "hey did not get $COUNT 200s:" >&2; cat "$work/hey.txt" >&2; exit 1; }

best() { printf '%s\n' "$@" | sort -n | head -n1; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
tb=$(best "${trigger_times[@]}") tm=$(median "${trigger_times[@]}")
hb=$(best "${hey_times[@]}") hm=$(median "${hey_times[@]}")
echo "$COUNT x $EVENT at concurrency $CONCURRENCY to $url ($ROUNDS rounds, wall time incl. process start)"
printf '  trigger  best %5d ms  median %5d ms   (rounds: %s)\n' "$tb" "$tm" "${trigger_times[*]}"
printf '  hey      best %5d ms  median %5d ms   (rounds: %s)\n' "$hb" "$hm" "${hey_times[*]}"
awk -v t="$tb" -v h="$hb" -v tm="$tm" -v hm="$hm" 'BEGIN {
	r = (h > 0 ? t / h : 0); rm = (hm > 0 ? tm / hm : 0)
	printf "  ratio    best %.2fx  median %.2fx hey (goal <= 1.50x on the best): %s\n", r, rm, (r <= 1.5 ? "met" : "MISSED")
}'
