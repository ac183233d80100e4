#!/usr/bin/env bash
# Fairness between the fast path and the commit pipeline: GET /ok and POST /v1/commit (bench/commit.lua) at the
# same time, each from its own wrk with CONNS connections, against one server (storage.fsync = FSYNC).
#
#   bench/mixed-bench.sh
#
# Prints per repetition the req/s and p99 of each load, then medians. A server that serves one kind of
# connection ahead of the other shows it here as one rate collapsing and its p99 growing to hundreds of ms
# (found this way: one carrier thread served the poller's wake-ups ahead of the persist stage's; see
# net.Poller#wakeLater). Commits alone (bench/commit-bench.sh) cannot show it.
#
# Environment: REPS (3), SECS (10), WARMUP (3), CONNS (64), FSYNC (false), PORT (18190), JAVA_HOME,
#   WEASEL_OPTS (default -Xmx1g -XX:MaxGCPauseMillis=10), OUT (default bench/results/mixed-<stamp>.txt).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-3}; SECS=${SECS:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-64}; PORT=${PORT:-18190}; FSYNC=${FSYNC:-false}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g -XX:MaxGCPauseMillis=10}
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
pick_java
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
mkdir -p "$HERE/results"
OUT=${OUT:-$HERE/results/mixed-$(date -u +%Y%m%dT%H%M%SZ).txt}
TMP=$(mktemp -d -t weasel-mixed-bench.XXXXXX)
SPID=
trap 'stop_server; rm -rf "$TMP"' EXIT
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "something already listens on 127.0.0.1:$PORT; set PORT" >&2; exit 2
fi

summary() { # wrk log -> "rps p99_ms"
  awk '/Requests\/sec/ {rps=$2}
       / 99%/ {v=$2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; p99=v}
       END {printf "%s %.2f", rps, p99}' "$1"
}

{
  echo "# mixed load: GET /ok and POST /v1/commit at once, $CONNS connections each, fsync=$FSYNC, $(date -u +%FT%TZ)"
  echo "# rep ok_rps ok_p99_ms commit_rps commit_p99_ms"
} | tee "$OUT"
for rep in $(seq 1 "$REPS"); do
  start_weaseldb "$FSYNC"
  wrk -t1 -c "$CONNS" -d "${WARMUP}s" "http://127.0.0.1:$PORT/ok" > /dev/null 2>&1 & OKW=$!
  wrk -t1 -c "$CONNS" -d "${WARMUP}s" -s "$HERE/commit.lua" "http://127.0.0.1:$PORT/v1/commit" $(commit_lua_args "$CONNS") > /dev/null 2>&1 || true
  wait "$OKW" || true
  wrk -t1 -c "$CONNS" -d "${SECS}s" --latency "http://127.0.0.1:$PORT/ok" > "$TMP/ok.log" 2>&1 & OKW=$!
  wrk -t1 -c "$CONNS" -d "${SECS}s" --latency -s "$HERE/commit.lua" "http://127.0.0.1:$PORT/v1/commit" $(commit_lua_args "$CONNS") > "$TMP/commit.log" 2>&1 || true
  wait "$OKW" || true
  echo "$rep $(summary "$TMP/ok.log") $(summary "$TMP/commit.log")" | tee -a "$OUT"
  stop_server
done
awk '!/^#/ {ok[NR]=$2; okp[NR]=$3; c[NR]=$4; cp[NR]=$5; n++}
     function med(a,   i, k, v, m) { m = 0; for (i in a) v[++m] = a[i]; for (i = 1; i <= m; i++) for (k = i + 1; k <= m; k++) if (v[k] < v[i]) { t = v[i]; v[i] = v[k]; v[k] = t }; return v[int((m + 1) / 2)] }
     END { printf "# medians: /ok %.0f req/s p99 %.2f ms, commits %.0f/s p99 %.2f ms\n", med(ok), med(okp), med(c), med(cp) }' "$OUT" | tee -a "$OUT"
