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
