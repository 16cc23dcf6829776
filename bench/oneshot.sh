#!/usr/bin/env bash
# One-shot cost: `tagmango-hooks delete --url U` against `curl -X DELETE` with the same
# body, both against the same local stub API, in one run. Prints both medians and the
# ratio (goal: ratio <= 1.0). Needs hyperfine (apt-get install hyperfine) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-200}
work=$(mktemp -d)
trap 'kill $stub_pid 2>/dev/null || true; rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install -y hyperfine" >&2; exit 1; }
go build -trimpath -ldflags "-s -w" -o "$work/tagmango-hooks" ./cmd/tagmango-hooks
go build -o "$work/stub" ./bench/stub

"$work/stub" > "$work/addr" &
stub_pid=$!
for _ in $(seq 50); do [ -s "$work/addr" ] && break; sleep 0.1; done
base="http://$(cat "$work/addr")"
url="https://example.com/hooks/bench"
key="tmk_bench_0000000000000000abcd"

export TAGMANGO_API_KEY=$key TAGMANGO_BASE_URL=$base
export TAGMANGO_HOOKS_CONFIG="$work/config.yaml" TAGMANGO_HOOKS_STATE="$work/state.json"

hyperfine --runs "$runs" --warmup 20 -N --export-json "$work/result.json" \
  -n curl "curl -sS -o /dev/null -X DELETE $base/api/v1/integration/webhook/webhook -H accept:application/json -H x-api-key:$key -H content-type:application/json -d {\"hookUrl\":\"$url\"}" \
  -n tagmango-hooks "$work/tagmango-hooks delete --url $url" >&2

python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
c, t = r["curl"]["median"] * 1000, r["tagmango-hooks"]["median"] * 1000
print(f"curl median           {c:7.2f} ms")
print(f"tagmango-hooks median {t:7.2f} ms")
print(f"ratio                 {t / c:7.2f}  (goal <= 1.00)")
PY
