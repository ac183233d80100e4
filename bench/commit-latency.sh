#!/usr/bin/env bash
# Durable commit latency below saturation: POST /v1/commit (fsync on) from CONNS clients that think between
# requests (bench/commit-paced.lua), next to the server's own fsync time, so p50 can be read in fsyncs.
#
#   bench/commit-latency.sh
#
# bench/commit-bench.sh drives closed-loop clients as fast as they go: at 64 of them the two cores are
# saturated and p50 is the queue for CPU (Little's law: 64 / throughput). Here each client pauses THINK ms
# (exponential, mean THINK; MODE=fixed for exact pauses) after every answer, so the offered load is a
# fraction of capacity and p50 shows the commit path: wake-ups, the group commit's wait for the fsync in
# progress plus its own, and the answers' way back.
#
# For each repetition and each THINK: a fresh server (fsync on), WARMUP s of load, then SECS s measured.
# Rows: rep think_ms rps p50_ms p99_ms fsync_avg_ms p50_in_fsyncs server_avg_ms batch server_cpu_us
#   fsync_avg_ms: weaseldb_storage_fsync_seconds over the measured run; server_avg_ms: the server's own
#   request time for /v1/commit (first byte read to answer written; weaseldb_http_request_duration_seconds);
#   batch: commits per group commit (weaseldb_storage_group_commit_size).
# Then medians per THINK.
#
# Environment: REPS (3), SECS (10), WARMUP (3), CONNS (64), THINKS ("4 2 1"), MODE (exp), PORT (18090),
#   WEASEL_OPTS (-Xmx1g -XX:MaxGCPauseMillis=10), JAVA_HOME, PEERS_DIR (../shared/peers: report.lua),
#   EXTRA_TOML (more server tables, see bench/lib.sh),
#   OUT (default bench/results/commit-latency-<stamp>.txt).
# shellcheck source=bench/lib.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
REPS=${REPS:-3}; SECS=${SECS:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-64}; MODE=${MODE:-exp}
read -r -a THINKS <<< "${THINKS:-4 2 1}"
PORT=${PORT:-18090}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g -XX:MaxGCPauseMillis=10}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
source "$HERE/lib.sh"
pick_java
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
[[ -f $PEERS_DIR/report.lua ]] || { echo "$PEERS_DIR/report.lua missing (set PEERS_DIR)" >&2; exit 2; }
OUT=${OUT:-$HERE/results/commit-latency-$(date -u +%Y%m%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d -t commit-latency.XXXXXX)
SPID=
trap 'stop_server; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)
cat "$HERE/commit.lua" "$PEERS_DIR/report.lua" > "$TMP/commit.lua"  # commit-paced.lua loads it from its own dir
cp "$HERE/commit-paced.lua" "$TMP/"

# sum and count of one metric (without labels, or with the given label text), from /metrics
metric() {
  curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" -v l="${2:-}" '
    index($1, m "_sum" l) == 1 && (l != "" || $1 == m "_sum") { s = $2 }
    index($1, m "_count" l) == 1 && (l != "" || $1 == m "_count") { c = $2 }
    END { printf "%s %s\n", s + 0, c + 0 }'
}
snapshot() {
  echo "$(metric weaseldb_storage_fsync_seconds) $(metric weaseldb_http_request_duration_seconds '{route="/v1/commit"}') $(metric weaseldb_storage_group_commit_size)"
}

{
  echo "# $(date -u +%FT%TZ) commit-latency: $(nproc) cores, reps=$REPS secs=$SECS conns=$CONNS think=${THINKS[*]} ms ($MODE), fsync on"
  echo "# rep think_ms rps p50_ms p99_ms fsync_avg_ms p50_in_fsyncs server_avg_ms batch server_cpu_us"
} | tee "$OUT"
for rep in $(seq 1 "$REPS"); do
  for think in "${THINKS[@]}"; do
    start_weaseldb true
    wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s "$TMP/commit-paced.lua" "http://127.0.0.1:$PORT/v1/commit" \
      -- "$(latest_version)" "$CONNS" "$think" "$MODE" > /dev/null 2>&1 || true
    before=$(snapshot); t0=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
    out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s "$TMP/commit-paced.lua" "http://127.0.0.1:$PORT/v1/commit" \
      -- "$(latest_version)" "$CONNS" "$think" "$MODE" 2>&1) || true
    t1=$(awk '{print $14 + $15}' "/proc/$SPID/stat"); after=$(snapshot)
    echo "## rep $rep think $think" >> "$OUT.log"; echo "$out" >> "$OUT.log"
    stats=$(grep '^WRKSTATS' <<< "$out" || echo "WRKSTATS")
    awk -v rep="$rep" -v think="$think" -v b="$before" -v a="$after" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$stats" 'BEGIN {
      n = split(s, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
      if (v["requests"] == "" || v["errors"] > 0) { printf "%d %s failed: %s\n", rep, think, s; exit }
      split(b, x, " "); split(a, y, " ")
      fs = (y[2] > x[2]) ? (y[1] - x[1]) / (y[2] - x[2]) * 1000 : 0
      srv = (y[4] > x[4]) ? (y[3] - x[3]) / (y[4] - x[4]) * 1000 : 0
      batch = (y[6] > x[6]) ? (y[5] - x[5]) / (y[6] - x[6]) : 0
      printf "%d %s %.0f %.2f %.2f %.3f %.1f %.2f %.1f %.1f\n", rep, think, v["rps"], v["p50_us"] / 1000, v["p99_us"] / 1000,
        fs, (fs > 0 ? v["p50_us"] / 1000 / fs : 0), srv, batch, ticks / hz * 1e6 / v["requests"] }' | tee -a "$OUT"
    stop_server
  done
done
{
  echo "# medians: think_ms rps p50_ms p99_ms fsync_avg_ms p50_in_fsyncs server_avg_ms batch server_cpu_us"
  for think in "${THINKS[@]}"; do
    line="think $think"
    for col in 3 4 5 6 7 8 9 10; do
      line+=" $(grep -v '^#' "$OUT" | awk -v t="$think" -v c="$col" '$2 == t && $3 != "failed:" { print $c }' | sort -g |
        awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; else print "-" }')"
    done
    echo "$line"
  done
} | tee -a "$OUT"
