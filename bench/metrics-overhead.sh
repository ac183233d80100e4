#!/usr/bin/env bash
# Measures what recording metrics costs: the same jar with `[metrics] enabled = true` vs `false`.
#
#   bench/metrics-overhead.sh
#
# Each repetition (REPS, default 3) starts the server once per setting, alternating which goes first,
# and runs `wrk -t1 -c CONNS -d SECS` (after WARMUP s of the same load) for each workload in WORKLOADS:
#   ok      GET /ok
#   commit  POST /v1/commit of one small write (storage.fsync = false, so the pipeline, not the disk, is measured)
# Server CPU (utime+stime from /proc/PID/stat) is read around each measured run: CPU microseconds per request
# shows overhead even when the client, not the server, limits req/s. Prints one row per run, then medians
# and the relative difference on vs off (target: at most 3% fewer req/s and 3% more CPU per request).
#
# Environment: REPS (3), SECS (10), WARMUP (3), CONNS (64), WORKLOADS ("ok commit"), PORT (18190),
#   JAVA_HOME, WEASEL_OPTS (default -Xmx1g), OUT (default bench/results/metrics-overhead-<stamp>.txt).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-3}; SECS=${SECS:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-64}; PORT=${PORT:-18190}
WORKLOADS=${WORKLOADS:-ok commit}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g}
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
pick_java
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl missing: apt-get install -y curl" >&2; exit 2; }
mkdir -p "$HERE/results"
OUT=${OUT:-$HERE/results/metrics-overhead-$(date -u +%Y%m%dT%H%M%SZ).txt}
TMP=$(mktemp -d -t weasel-metrics-bench.XXXXXX)
SPID=
trap 'stop_server; rm -rf "$TMP"' EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)
if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "something already listens on 127.0.0.1:$PORT; set PORT" >&2; exit 2
fi

cat > "$TMP/commit.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"operations":[{"type":"write","key":"a2V5","value":"dmFsdWU="}]}'
LUA

start_server() { # metrics_enabled
  start_weaseldb false "[metrics]
enabled = $1"
  # The setting must really be in effect: /metrics exists only when enabled.
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
  if [[ $1 == true && $code != 200 ]] || [[ $1 == false && $code != 404 ]]; then
    echo "metrics enabled=$1 but GET /metrics answered $code" >&2; exit 1
  fi
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
HZ=$(getconf CLK_TCK)

run_wrk() { # workload -> prints "rps cpu_us_per_req non2xx"
  local args=() path=/ok
  if [[ $1 == commit ]]; then args=(-s "$TMP/commit.lua"); path=/v1/commit; fi
  wrk -t1 -c "$CONNS" -d "${WARMUP}s" "${args[@]}" "http://127.0.0.1:$PORT$path" > /dev/null 2>&1 || true
  local t0 t1
  t0=$(cpu_ticks)
  wrk -t1 -c "$CONNS" -d "${SECS}s" "${args[@]}" "http://127.0.0.1:$PORT$path" > "$TMP/wrk.log" 2>&1 || true
  t1=$(cpu_ticks)
  awk -v ticks=$((t1 - t0)) -v hz="$HZ" '
    /Requests\/sec/ {rps=$2}
    /requests in/ {n=$1}
    /Non-2xx/ {bad=$NF}
    END { printf "%s %.2f %d\n", rps, (n > 0 ? ticks / hz * 1e6 / n : 0), bad }' "$TMP/wrk.log"
}

echo "# $(date -u) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); reps=$REPS secs=$SECS warmup=$WARMUP conns=$CONNS" | tee "$OUT"
echo "# rep metrics workload rps cpu_us_per_req non2xx" | tee -a "$OUT"
for rep in $(seq 1 "$REPS"); do
  if (( rep % 2 == 1 )); then order=(true false); else order=(false true); fi
  for enabled in "${order[@]}"; do
    start_server "$enabled"
    for w in $WORKLOADS; do
      label=$([[ $enabled == true ]] && echo on || echo off)
      echo "$rep $label $w $(run_wrk "$w")" | tee -a "$OUT"
    done
    stop_server
  done
done

echo "# medians; diff = on relative to off (req/s: negative is slower; cpu/req: positive is costlier); target |diff| <= 3%" | tee -a "$OUT"
awk '!/^#/ { k=$3" "$2; rps[k]=rps[k]" "$4; cpu[k]=cpu[k]" "$5; bad[k]+=$6; w[$3]=1 }
  function med(s,   a, n, i, j, t) { n=split(s, a, " "); for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0<a[i]+0) {t=a[i];a[i]=a[j];a[j]=t}; return (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2 }
  function pct(on, off) { return off > 0 ? sprintf("%+.1f%%", (on - off) / off * 100) : "-" }
  END { for (x in w) {
          ron=med(rps[x" on"]); roff=med(rps[x" off"]); con=med(cpu[x" on"]); coff=med(cpu[x" off"])
          printf "%-7s rps on %9.0f off %9.0f diff %7s | cpu/req on %6.2f us off %6.2f us diff %7s%s\n", x, ron, roff, pct(ron, roff),
            con, coff, pct(con, coff), (bad[x" on"] + bad[x" off"] > 0) ? "  (non-2xx responses: see rows)" : "" } }' "$OUT" | sort | tee -a "$OUT"
