#!/usr/bin/env bash
# Benchmarks GET /ok on WeaselDB and the peers of ../shared/peers in the same run, with wrk.
#
#   bench/http-bench.sh [SERVERS...]     default: weaseldb netty helidon jetty jdk nginx
#
# For each repetition (REPS, default 3) and each server: start it, warm up, then measure
# `wrk -t1 -c C -d SECS` at C in CONNS (default "64 1000") plus GET /ok pipelined 16 deep at 64
# connections. Server CPU time is read from /proc/PID/stat around each measured run, so the table
# shows CPU microseconds per request next to req/s and p99, and wrk's own CPU per request beside it
# (on loopback the sender pays for delivering and waking: cost moves between server and client).
# Prints one row per run and then a summary of medians with ratios against Netty's medians from
# the same run.
#
# Environment: REPS (3), SECS (10), WARMUP (3), CONNS ("64 1000"), PORT (18080), JAVA_HOME,
#   WEASEL_OPTS (JVM flags for weaseldb, default -Xmx1g), PEERS_DIR (../shared/peers),
#   OUT (result file, default bench/results/http-<stamp>.txt).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SERVERS=("${@:-weaseldb netty helidon jetty jdk nginx}")
read -r -a SERVERS <<< "${SERVERS[*]}"
REPS=${REPS:-3}; SECS=${SECS:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-64 1000}; PORT=${PORT:-18080}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
pick_java
mkdir -p "$HERE/results"
OUT=${OUT:-$HERE/results/http-$(date -u +%Y%m%dT%H%M%SZ).txt}
TMP=$(mktemp -d -t weasel-bench.XXXXXX)
trap 'stop_server; rm -rf "$TMP"' EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }

# Peers: build a copy of the read-only harness once.
build_peers "${SERVERS[@]}"
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)

SPID=
start_server() {
  if [[ $1 == weaseldb ]]; then start_weaseldb false; else start_peer "$1"; fi
}
cpu_ticks() { # utime+stime of the server and its children (nginx workers)
  local total=0 p
  for p in $SPID $(pgrep -P "$SPID" 2>/dev/null || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
HZ=$(getconf CLK_TCK)

run_wrk() { # conns script -> prints "rps p99_ms cpu_us_per_req client_cpu_us_per_req"
  local conns=$1 script=$2 args=()
  [[ -n $script ]] && args=(-s "$script")
  wrk -t1 -c "$conns" -d "${WARMUP}s" "${args[@]}" "http://127.0.0.1:$PORT/ok" > /dev/null 2>&1 || true
  local t0; t0=$(cpu_ticks)
  # The client's CPU too (bash's time: user and system seconds of wrk): on loopback the kernel work of
  # delivering a message and waking its reader is charged to the sender, so it shifts between server and
  # client with the server's timing; their sum is the cost of a request on this machine.
  local TIMEFORMAT='%U %S'
  { time wrk -t1 -c "$conns" -d "${SECS}s" --latency "${args[@]}" "http://127.0.0.1:$PORT/ok" > "$TMP/wrk.log" 2>&1 || true; } 2> "$TMP/wrk.time"
  local t1; t1=$(cpu_ticks)
  awk -v ticks=$((t1 - t0)) -v hz="$HZ" -v pipe="$script" -v client="$(awk '{print $1 + $2}' "$TMP/wrk.time")" '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
    /requests in/ {n=$1}
    END { if (pipe != "") p99="-"; printf "%s %s %.2f %.2f\n", rps, p99, (n > 0 ? ticks / hz * 1e6 / n : 0), (n > 0 ? client * 1e6 / n : 0) }' "$TMP/wrk.log"
}

echo "# $(date -u) $(nproc) cores; reps=$REPS secs=$SECS; server rps p99_ms cpu_us_per_req client_cpu_us_per_req" | tee "$OUT"
for rep in $(seq 1 "$REPS"); do
  for s in $(rep_order "$rep" "${SERVERS[@]}"); do
    start_server "$s"
    for c in $CONNS; do echo "$rep $s GET/ok $c $(run_wrk "$c" "")" | tee -a "$OUT"; done
    echo "$rep $s GET/ok-pipe16 64 $(run_wrk 64 "$PEERS_DIR/pipeline.lua")" | tee -a "$OUT"
    stop_server
  done
done

echo "# medians (ratio = server / netty for rps; cpu ratio = server cpu per request / netty's; client = wrk's cpu per request, +client = the ratio of server + client cpu)" | tee -a "$OUT"
awk '!/^#/ { k=$2" "$3" "$4; rps[k]=rps[k]" "$5; p99[k]=p99[k]" "$6; cpu[k]=cpu[k]" "$7; cl[k]=cl[k]" "$8; tot[k]=tot[k]" "($7 + $8); keys[k]=1 }
  function med(s,   a, n, i, j, t) { n=split(s, a, " "); for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0<a[i]+0) {t=a[i];a[i]=a[j];a[j]=t}; return (n%2)?a[(n+1)/2]:(a[n/2]+a[n/2+1])/2 }
  END { for (k in keys) { split(k, p, " "); m[k]=med(rps[k]); c[k]=med(cpu[k]); w[k]=med(cl[k]); t[k]=med(tot[k]); q[k]=(p99[k] ~ /-/)?"-":med(p99[k]) }
        for (k in keys) { split(k, p, " "); nk="netty "p[2]" "p[3];
          printf "%-9s %-13s %5s  rps %9.0f  p99 %6s ms  cpu %6.2f us/req  client %5.2f  rps/netty %s  cpu/netty %s  +client %s\n", p[1], p[2], p[3], m[k], q[k], c[k], w[k],
            (nk in m && m[nk]>0) ? sprintf("%.2f", m[k]/m[nk]) : "-", (nk in c && c[nk]>0) ? sprintf("%.2f", c[k]/c[nk]) : "-",
            (nk in t && t[nk]>0) ? sprintf("%.2f", t[k]/t[nk]) : "-" } }' "$OUT" | sort | tee -a "$OUT"
