# Shared by the bench/ scripts: source it, then call what you need.

# wrk_body DIR writes DIR/body.json — a webinar reminder, without a trailing newline,
# as TagMango sends it — and DIR/post.lua, the wrk script that POSTs it.
wrk_body() {
	local dir=$1
	cat >"$dir/body.json" <<'JSON'
{"name":"John Doe","email":"john@example.com","phone":"1234567890","timezone":"+05:30","webinar":"Introduction to Digital Marketing","webinarId":"634fc35ddaf58580e2418c40","webinarLink":"https://meet.google.com/abc-defg-hij","webinarFromTime":"2024-03-15T10:00:00.000Z","webinarToTime":"2024-03-15T11:00:00.000Z","webinarFromTimeInCreatorTimezone":"2024-03-15T15:30:00.000Z","creatorTimezone":"+05:30","mangoes":"Marketing Community, Digital Course Hub"}
JSON
	truncate -s -1 "$dir/body.json"
	cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$dir/body.json", "rb")
wrk.body = f:read("*a")
f:close()
LUA
}

# build DIR [BENCH_PROGRAM...] builds tagmango-hooks and the named programs of bench/
# (loadgen, minimal…) into DIR.
build() {
	local dir=$1
	shift
	echo "building…" >&2
	go build -o "$dir/tagmango-hooks" ./cmd/tagmango-hooks
	for prog in "$@"; do
		go build -o "$dir/$prog" "./bench/$prog"
	done
}

# drop_tmp DIR removes the scripts' scratch directory, or keeps it with KEEP=1.
drop_tmp() {
	if [ -n "${KEEP:-}" ]; then echo "kept $1" >&2; else rm -rf "$1"; fi
}

# need_tools TOOL... stops the script unless every TOOL is on PATH and there are at least
# 2 CPUs (the receiver runs on one, the load on the other).
need_tools() {
	local script="bench/${0##*/}" t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$script needs $t" >&2; exit 1; }
	done
	[ "$(nproc)" -ge 2 ] || { echo "$script needs 2 CPUs (receiver on one, load on the other)" >&2; exit 1; }
}

# wait_ready PID ERRFILE [PATTERN] waits up to 20 s for PATTERN (default: the Ready line)
# in ERRFILE, the receiver's stderr, and sets URL from "Ready: listening on URL". It stops
# the script, showing ERRFILE, if the receiver exits first, and when no URL was printed.
wait_ready() {
	local pid=$1 err=$2 want=${3:-'^Ready: listening on '} name
	for _ in $(seq 400); do
		grep -q "$want" "$err" && break
		kill -0 "$pid" 2>/dev/null || { cat "$err" >&2; exit 1; }
		sleep 0.05
	done
	URL=$(sed -n 's/^Ready: listening on \(http[^ ]*\).*/\1/p' "$err" | head -1)
	name=${err##*/}
	[ -n "$URL" ] || { echo "${name%.err} did not get ready" >&2; exit 1; }
}

# to_ms VALUE — wrk's "3.74ms" / "812.00us" / "1.02s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000
		printf "%.2f", n }'
}

# median FILE COLUMN — the median of COLUMN over the lines of FILE.
median() { awk -v c="$2" '{print $c}' "$1" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# ratio A B — A / B to two decimals, "-" when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }

# mib KIB — KiB in MiB, one decimal.
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# hwm_kib PID — the peak RSS (VmHWM) of PID in KiB.
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# verdict LABEL AWK_CONDITION prints "ok" or "MISS" before LABEL.
verdict() { if awk "BEGIN { exit !($2) }"; then echo "  ok    $1"; else echo "  MISS  $1"; fi; }
