#!/usr/bin/env bash
# Benchmarks durable commits: WeaselDB POST /v1/commit (fsync on and off) against etcd's durable
# POST /v3/kv/put, at the same connection counts in the same run, with wrk.
#
#   bench/commit-bench.sh
#
# For each repetition (REPS) and each system (order reversed on even repetitions):
#   weaseldb-fsync   the jar with [storage] fsync = true, a fresh data dir:
#                    commit.lua at every CONNS
#   weaseldb-nosync  the jar with fsync = false, a fresh data dir: commit.lua and GET /ok at every CONNS
#                    (/ok is the upper bound the fsync-off commit rate is compared with)
#   etcd             one etcd (single node, defaults: WAL fdatasync before every answer; 3.4 cannot
#                    turn that off), fresh data dir: ../shared/peers/etcd-put.lua at every CONNS
# Each load: WARMUP s of wrk, discarded, then SECS s measured (`wrk -t$WRK_THREADS -cC --latency`).
# Server CPU time is read from /proc/PID/stat around each measured run.
# Every request is a new transaction: commit.lua sends a unique request_id and 2 point reads + 3
# writes on keys unique to the request (~560 B); etcd-put.lua a new 29-byte key and a 100-byte value.
#
# Rows: rep system endpoint conns rps p50_ms p99_ms errors server_cpu_us_per_req wrk_cpu_us_per_req
# (the server and wrk share the machine's cores: the wrk column shows what generating the load costs)
# Then medians over the repetitions, weaseldb/etcd ratios (commit rps, p99) and, for fsync off,
# commit rps / GET /ok rps (goal: >= 0.50). After each WeaselDB system it checks that the server's
# /v1/version equals the number of commits wrk saw acknowledged (warm-ups included).
#
# Environment: REPS (3), SECS (10), WARMUP (3), CONNS ("1 64 256"), WRK_THREADS (1),
#   PORT (18090, WeaselDB), ETCD_PORT (12379; peer port +1), WEASEL_OPTS (-Xmx1g -XX:MaxGCPauseMillis=10:
#   the pause goal the image and the Helm chart set), JAVA_HOME,
#   PEERS_DIR (../shared/peers: etcd-put.lua, report.lua), DATA_ROOT (where data dirs go; default a
#   temp dir), SYSTEMS ("weaseldb-fsync weaseldb-nosync etcd"),
#   OUT (default bench/results/commit-<stamp>.txt).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-3}; SECS=${SECS:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-1 64 256}; WRK_THREADS=${WRK_THREADS:-1}
PORT=${PORT:-18090}; ETCD_PORT=${ETCD_PORT:-12379}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g -XX:MaxGCPauseMillis=10}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
read -r -a SYSTEMS <<< "${SYSTEMS:-weaseldb-fsync weaseldb-nosync etcd}"
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
pick_java
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl missing" >&2; exit 2; }
for s in "${SYSTEMS[@]}"; do
  [[ $s == etcd ]] && { command -v etcd >/dev/null || { echo "etcd missing: apt-get install -y etcd-server" >&2; exit 2; }; }
done
for f in etcd-put.lua report.lua; do
  [[ -f $PEERS_DIR/$f ]] || { echo "$PEERS_DIR/$f missing (set PEERS_DIR)" >&2; exit 2; }
done
OUT=${OUT:-$HERE/results/commit-$(date -u +%Y%m%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d -t commit-bench.XXXXXX)
DATA_ROOT=${DATA_ROOT:-$TMP}
SPID=
trap 'stop_server; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$PORT" "$ETCD_PORT" "$((ETCD_PORT + 1))"; do
  if port_open "$p"; then echo "port $p is in use; set PORT / ETCD_PORT (this script stops only what it started)" >&2; exit 1; fi
done
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)

# wrk scripts: the load plus report.lua's done() (the WRKSTATS line with p50/p99 in microseconds)
cat "$HERE/commit.lua" "$PEERS_DIR/report.lua" > "$TMP/commit.lua"
cat "$PEERS_DIR/etcd-put.lua" "$PEERS_DIR/report.lua" > "$TMP/put.lua"
cp "$PEERS_DIR/report.lua" "$TMP/ok.lua"


start_etcd() {
  local data=$DATA_ROOT/etcd-data base=http://127.0.0.1:$ETCD_PORT peer=http://127.0.0.1:$((ETCD_PORT + 1))
  rm -rf "$data"
  etcd --name bench --data-dir "$data" --listen-client-urls "$base" --advertise-client-urls "$base" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "bench=$peer" \
    --initial-cluster-state new > "$TMP/server.log" 2>&1 &
  SPID=$!
  for _ in $(seq 1 300); do
    [[ $(curl -s --max-time 1 "$base/health" || true) == *'"health":"true"'* ]] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "etcd did not start:" >&2; tail -20 "$TMP/server.log" >&2; exit 1
}


TIME=$(type -P time || true)  # GNU time (the program, not the shell keyword): wrk's own CPU time
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$2" | head -1; }
ACKED=0     # 2xx answers wrk saw in the current server's life (warm-ups included)
INFLIGHT=0  # requests wrk may have left unanswered when its runs ended (at most one per connection per run)

# load SCRIPT URL CONNS -> sets ROW="rps p50_ms p99_ms errors cpu_us_per_req" (not in a subshell: it adds to ACKED)
load() {
  local script=$1 url=$2 conns=$3 warm out t0 t1 s args=()
  [[ $script == "$TMP/commit.lua" ]] && read -r -a args <<< "$(commit_lua_args "$conns")"
  warm=$(wrk -t"$WRK_THREADS" -c"$conns" -d"${WARMUP}s" -s "$script" "$url" "${args[@]}" 2>&1) || true
  [[ $script == "$TMP/commit.lua" ]] && read -r -a args <<< "$(commit_lua_args "$conns")"
  t0=$(cpu_ticks)
  if [[ -n $TIME ]]; then
    out=$("$TIME" -f 'WRKCPU user=%U sys=%S' wrk -t"$WRK_THREADS" -c"$conns" -d"${SECS}s" --latency -s "$script" "$url" "${args[@]}" 2>&1) || true
  else
    out=$(wrk -t"$WRK_THREADS" -c"$conns" -d"${SECS}s" --latency -s "$script" "$url" "${args[@]}" 2>&1) || true
  fi
  t1=$(cpu_ticks)
  INFLIGHT=$((INFLIGHT + 2 * conns))
  echo "## $url c=$conns" >> "$OUT.log"; echo "$out" >> "$OUT.log"
  for s in "$warm" "$out"; do
    s=" $(grep '^WRKSTATS' <<< "$s" || true)"
    ACKED=$(( ACKED + $(field requests "$s") + 0 - $(field status "$s") - 0 ))
  done
  s=" $(grep '^WRKSTATS' <<< "$out" || echo 'WRKSTATS failed')"
  ROW=$(awk -v rps="$(field rps "$s")" -v p50="$(field p50_us "$s")" -v p99="$(field p99_us "$s")" \
      -v err="$(field errors "$s")" -v n="$(field requests "$s")" -v ticks=$((t1 - t0)) -v hz="$HZ" \
      -v wrkcpu="$(sed -n 's/^WRKCPU user=\([0-9.]*\) sys=\([0-9.]*\).*/\1 \2/p' <<< "$out")" 'BEGIN {
    if (rps == "") { print "- - - - - -"; exit }
    split(wrkcpu, w, " ")
    printf "%.0f %.2f %.2f %d %.1f %s\n", rps, p50 / 1000, p99 / 1000, err, (n > 0 ? ticks / hz * 1e6 / n : 0),
      (wrkcpu != "" && n > 0 ? sprintf("%.1f", (w[1] + w[2]) * 1e6 / n) : "-") }')
}

# After a WeaselDB system: every commit wrk saw acknowledged has its own version, and the only other
# versions are commits still in flight when a wrk run ended (wrk does not wait for their answers).
check_versions() {
  local v
  v=$(curl -s "http://127.0.0.1:$PORT/v1/version" | sed -n 's/.*"version":\([0-9]*\).*/\1/p')
  if [[ -z $v ]] || (( v < ACKED || v > ACKED + INFLIGHT )); then
    echo "# WARNING $1: /v1/version = $v, but wrk saw $ACKED commits acknowledged (+ at most $INFLIGHT in flight)" | tee -a "$OUT" >&2
  else
    echo "# check $1: /v1/version = $v: $ACKED acknowledged + $((v - ACKED)) in flight when wrk stopped (<= $INFLIGHT)" >> "$OUT"
  fi
}

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit-bench: $(nproc) cores, reps=$REPS secs=$SECS warmup=$WARMUP conns='$CONNS' wrk -t$WRK_THREADS"
  echo "# $("$JAVA" -version 2>&1 | head -1); $(etcd --version 2>/dev/null | head -1); $(wrk -v 2>&1 | head -1)"
  echo "# data dirs under $DATA_ROOT ($(df --output=fstype "$DATA_ROOT" | tail -1)); load avg before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# rep system endpoint conns rps p50_ms p99_ms errors server_cpu_us_per_req wrk_cpu_us_per_req"
} | tee "$OUT"
: > "$OUT.log"

for rep in $(seq 1 "$REPS"); do
  for sys in $(rep_order "$rep" "${SYSTEMS[@]}"); do
    case $sys in
      weaseldb-fsync|weaseldb-nosync)
        [[ $sys == weaseldb-fsync ]] && start_weaseldb true || start_weaseldb false
        ACKED=0 INFLIGHT=0
        for c in $CONNS; do
          load "$TMP/commit.lua" "http://127.0.0.1:$PORT/v1/commit" "$c"
          echo "$rep $sys commit $c $ROW" | tee -a "$OUT"
        done
        check_versions "$sys rep $rep"
        if [[ $sys == weaseldb-nosync ]]; then
          for c in $CONNS; do
            load "$TMP/ok.lua" "http://127.0.0.1:$PORT/ok" "$c"
            echo "$rep $sys ok $c $ROW" | tee -a "$OUT"
          done
        fi
        stop_server ;;
      etcd)
        start_etcd
        for c in $CONNS; do
          load "$TMP/put.lua" "http://127.0.0.1:$ETCD_PORT/v3/kv/put" "$c"
          echo "$rep etcd put $c $ROW" | tee -a "$OUT"
        done
        stop_server ;;
      *) echo "unknown system $sys" >&2; exit 2 ;;
    esac
  done
done

echo "# medians over $REPS repetition(s): system endpoint conns rps p50_ms p99_ms server_cpu_us_per_req" | tee -a "$OUT"
awk '!/^#/ && NF == 10 && $5 != "-" {
       k = $2 " " $3 " " $4; rps[k] = rps[k] " " $5; p50[k] = p50[k] " " $6; p99[k] = p99[k] " " $7; cpu[k] = cpu[k] " " $9; keys[k] = 1 }
  function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    for (k in keys) { R[k] = med(rps[k]); P50[k] = med(p50[k]); P99[k] = med(p99[k]); C[k] = med(cpu[k]) }
    for (k in keys) { split(k, p, " ")
      printf "M %-16s %-6s %4s  rps %8.0f  p50 %7.2f ms  p99 %7.2f ms  server cpu %7.1f us/req\n", p[1], p[2], p[3], R[k], P50[k], P99[k], C[k] }
    for (k in keys) {
      split(k, p, " ")
      if (p[2] != "commit") continue
      e = "etcd put " p[3]; o = "weaseldb-nosync ok " p[3]
      if (e in R && R[e] > 0) printf "R %-16s commit %4s  rps/etcd %5.2f  p99/etcd %5.2f\n", p[1], p[3], R[k] / R[e], (P99[e] > 0 ? P99[k] / P99[e] : 0)
      if (p[1] == "weaseldb-nosync" && (o in R) && R[o] > 0) printf "R %-16s commit %4s  rps/ok   %5.2f  (goal >= 0.50)\n", p[1], p[3], R[k] / R[o]
    }
  }' "$OUT" \
  | sort -k1,1 -k2,2 -k3,3 -k4,4n | sed 's/^[MR] //' | tee -a "$OUT"
echo "# wrk output: $OUT.log" | tee -a "$OUT"
