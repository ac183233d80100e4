#!/usr/bin/env bash
# Benchmarks commits with live change-feed subscribers: WeaselDB POST /v1/commit throughput with 0, 100 and
# 1000 open GET /v1/subscribe streams (goal: at 1000, >= 90% of the 0-subscriber rate), and the end-to-end
# latency from a commit's acknowledgement to its event's arrival at a subscriber.
#
#   bench/subscribe-bench.sh
#
# For each repetition (REPS), fsync setting (FSYNC) and subscriber count (SUBS; order reversed on even
# repetitions), one run:
#   1. the jar with [storage] fsync = <f> and a fresh data dir;
#   2. bench/SubscriberLoad.java with N subscriptions (after_version = the version at its start); the run
#      waits (CONNECT_TIMEOUT) until it prints "connected N" and the server's weaseldb_subscribers gauge is N;
#   3. wrk with commit.lua at CONNS connections: WARMUP s discarded, then SECS s measured; server, subscriber
#      client and wrk CPU time are read around the measured run (/proc/PID/stat; GNU time for wrk);
#   4. "check V" with V = /v1/version: every subscriber must have received exactly the versions after its
#      start up to V, in order, each once: events = N x commits during the client's life, no violations, no
#      disconnects (the server's weaseldb_subscribers_disconnected_total{reason="slow"} is reported as well);
#   5. "latency LAT_RATE LAT_SECS": the client commits LAT_RATE/s itself over one keep-alive connection and
#      measures ack -> event arrival on SAMPLE of the N subscribers (with N = 0: on one subscriber opened
#      for this phase), and each commit's round trip (sent -> 200 read); wrk is not running. Keep the rate
#      low: a commit fanned out alone to 1000 subscribers costs milliseconds of CPU (server and client), so
#      on a small machine 200/s already saturates the cores and then measures queueing, not delivery.
# The subscriber client, wrk and the server share the machine's cores: the CPU columns show what each costs.
#
# Rows: rep fsync subs rps p50_ms p99_ms errors server_cpu_us_per_commit client_cpu_us_per_commit
#       wrk_cpu_us_per_commit events expected violations disconnects slow_disconnects check lat_p50_ms
#       lat_p99_ms lat_max_ms lat_server_cpu_us_per_commit lat_client_cpu_us_per_commit lat_commit_p50_ms
#       lat_commit_p99_ms (the last four: from the latency phase, where each commit is fanned out alone)
# Then medians over the repetitions per (fsync, subs), and rps(subs) / rps(0) per fsync (goal at 1000 >= 0.90).
#
# Environment: REPS (3), SECS (10), WARMUP (3), FSYNC ("false true"), SUBS ("0 100 1000"), CONNS (64),
#   WRK_THREADS (1), LAT_RATE (50), LAT_SECS (10), SAMPLE (20), PORT (18390), CONNECT_TIMEOUT (60),
#   WEASEL_OPTS (-Xmx1g -XX:MaxGCPauseMillis=10, as the image and chart), CLIENT_OPTS (-Xmx512m), JAVA_HOME, PEERS_DIR (../shared/peers: report.lua),
#   DATA_ROOT (where data dirs go; default a temp dir), OUT (default bench/results/subscribe-<stamp>.txt).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
REPS=${REPS:-3}; SECS=${SECS:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-64}; WRK_THREADS=${WRK_THREADS:-1}
FSYNC=${FSYNC:-false true}; SUBS=${SUBS:-0 100 1000}
LAT_RATE=${LAT_RATE:-50}; LAT_SECS=${LAT_SECS:-10}; SAMPLE=${SAMPLE:-20}
PORT=${PORT:-18390}; CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-60}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g -XX:MaxGCPauseMillis=10}; CLIENT_OPTS=${CLIENT_OPTS:--Xmx512m}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
pick_java
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl missing" >&2; exit 2; }
[[ -f $PEERS_DIR/report.lua ]] || { echo "$PEERS_DIR/report.lua missing (set PEERS_DIR)" >&2; exit 2; }
OUT=${OUT:-$HERE/results/subscribe-$(date -u +%Y%m%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d -t subscribe-bench.XXXXXX)
DATA_ROOT=${DATA_ROOT:-$TMP}
SPID= LPID=
trap 'stop_client; stop_server; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
max_subs=0; for n in $SUBS; do (( n > max_subs )) && max_subs=$n; done
(( $(ulimit -n) > max_subs + 256 )) || { echo "open files limit $(ulimit -n) is too low for $max_subs subscribers" >&2; exit 2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_open "$PORT"; then echo "port $PORT is in use; set PORT (this script stops only what it started)" >&2; exit 1; fi
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)
# The client is one source file; compile it once instead of at every run's start.
"$JAVA_HOME/bin/javac" -d "$TMP/client" "$HERE/SubscriberLoad.java"
cat "$HERE/commit.lua" "$PEERS_DIR/report.lua" > "$TMP/commit.lua"



# The client reads its commands from a FIFO held open on fd 4; its output goes to $TMP/client.out.
start_client() { # subscribers
  rm -f "$TMP/ctl" "$TMP/client.out"; mkfifo "$TMP/ctl"
  # shellcheck disable=SC2086
  "$JAVA" $CLIENT_OPTS -cp "$TMP/client" SubscriberLoad --port "$PORT" --subscribers "$1" --sample "$SAMPLE" \
    --connect-timeout "$CONNECT_TIMEOUT" < "$TMP/ctl" > "$TMP/client.out" 2>&1 &
  LPID=$!
  exec 4>"$TMP/ctl"
}

stop_client() {
  [[ -n ${LPID:-} ]] || return 0
  { echo quit >&4; } 2>/dev/null || true
  exec 4>&- 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$LPID" 2>/dev/null || true
  wait "$LPID" 2>/dev/null || true
  LPID=
}

# await_line REGEX SECONDS: the first client output line matching REGEX, once it is there (else empty).
await_line() {
  local line deadline=$((SECONDS + $2))
  while (( SECONDS <= deadline )); do
    line=$(grep -m1 -E "$1" "$TMP/client.out" 2>/dev/null || true)
    [[ -n $line ]] && { echo "$line"; return 0; }
    kill -0 "$LPID" 2>/dev/null || break
    sleep 0.1
  done
  grep -m1 -E "$1" "$TMP/client.out" 2>/dev/null || true
}

metric() { # the value of one Prometheus sample line, by its exact name{labels}
  curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { printf "%d", $2; exit }'
}
# The version once commits wrk left in flight have landed: two reads 0.3 s apart agree.
settled_version() {
  local a b
  b=$(latest_version)
  for _ in $(seq 1 50); do
    sleep 0.3; a=$b; b=$(latest_version)
    [[ $a == "$b" ]] && break
  done
  echo "$b"
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
TIME=$(type -P time || true)  # GNU time (the program, not the shell keyword): wrk's own CPU time
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2" | head -1; }
val() { local x; x=$(field "$1" "$2"); echo "${x:--}"; } # field, or "-" when missing (keeps the row's columns)

# run REP FSYNC N -> one row in $OUT
run() {
  local rep=$1 fs=$2 n=$3 args conn gauge warm out s s0 s1 c0 c1 ls0 ls1 lc0 lc1 latcpu row v check lat done_line acked inflight slow
  start_weaseldb "$fs"
  start_client "$n"
  conn=$(await_line '^connected' "$CONNECT_TIMEOUT")
  if [[ $conn != "connected $n" ]]; then
    echo "# $rep fsync=$fs subs=$n: client did not connect all subscribers: '${conn:-nothing}'" | tee -a "$OUT" >&2
    cat "$TMP/client.out" >> "$OUT.log"; stop_client; stop_server; return 0
  fi
  for _ in $(seq 1 $((CONNECT_TIMEOUT * 10))); do # the server has registered every stream
    gauge=$(metric weaseldb_subscribers); [[ ${gauge:-} == "$n" ]] && break; sleep 0.1
  done
  [[ ${gauge:-} == "$n" ]] || echo "# $rep fsync=$fs subs=$n: WARNING server gauge weaseldb_subscribers = ${gauge:-?}" | tee -a "$OUT" >&2

  read -r -a args <<< "$(commit_lua_args "$CONNS")"
  warm=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$TMP/commit.lua" "http://127.0.0.1:$PORT/v1/commit" "${args[@]}" 2>&1) || true
  read -r -a args <<< "$(commit_lua_args "$CONNS")"
  s0=$(ticks "$SPID"); c0=$(ticks "$LPID")
  if [[ -n $TIME ]]; then
    out=$("$TIME" -f 'WRKCPU user=%U sys=%S' wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$TMP/commit.lua" "http://127.0.0.1:$PORT/v1/commit" "${args[@]}" 2>&1) || true
  else
    out=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$TMP/commit.lua" "http://127.0.0.1:$PORT/v1/commit" "${args[@]}" 2>&1) || true
  fi
  s1=$(ticks "$SPID"); c1=$(ticks "$LPID")
  { echo "## rep $rep fsync=$fs subs=$n"; echo "$out"; } >> "$OUT.log"

  # Every commit wrk saw acknowledged has its own version; the only others were in flight when a wrk run ended.
  v=$(settled_version)
  acked=0
  for s in "$warm" "$out"; do
    s=$(grep '^WRKSTATS' <<< "$s" || true)
    acked=$(( acked + $(field requests "$s") + 0 - $(field status "$s") - 0 ))
  done
  inflight=$((2 * CONNS))
  if [[ -z $v ]] || (( v < acked || v > acked + inflight )); then
    echo "# $rep fsync=$fs subs=$n: WARNING /v1/version = $v, but wrk saw $acked commits acknowledged (+ at most $inflight in flight)" | tee -a "$OUT" >&2
  fi
  echo "check $v 120" >&4
  check=$(await_line '^CHECK' 130)
  ls0=$(ticks "$SPID"); lc0=$(ticks "$LPID")
  echo "latency $LAT_RATE $LAT_SECS" >&4
  lat=$(await_line '^LATENCY' $((LAT_SECS + 60)))
  ls1=$(ticks "$SPID"); lc1=$(ticks "$LPID")
  slow=$(metric 'weaseldb_subscribers_disconnected_total{reason="slow"}')
  stop_client
  done_line=$(grep -m1 '^DONE' "$TMP/client.out" || true)
  { echo "## client rep $rep fsync=$fs subs=$n"; cat "$TMP/client.out"; } >> "$OUT.log"
  grep -E '^(VIOLATION|DISCONNECT)' "$TMP/client.out" | head -5 | sed 's/^/# /' | tee -a "$OUT" >&2 || true
  stop_server

  row=$(awk -v ws=" $(grep '^WRKSTATS' <<< "$out" || true)" -v wc="$(sed -n 's/^WRKCPU user=\([0-9.]*\) sys=\([0-9.]*\).*/\1 \2/p' <<< "$out")" \
      -v st=$((s1 - s0)) -v ct=$((c1 - c0)) -v hz="$HZ" -v chk=" $check" 'function f(s, k) {
        return match(s, " " k "=[^ ]*") ? substr(s, RSTART + length(k) + 2, RLENGTH - length(k) - 2) : "-" }
      BEGIN {
        n = f(ws, "requests"); split(wc, w, " ")
        if (n == "-" || n == 0) { printf "- - - - - - -"; }
        else printf "%.0f %.2f %.2f %d %.1f %.1f %s", f(ws, "rps"), f(ws, "p50_us") / 1000, f(ws, "p99_us") / 1000, f(ws, "errors"),
          st / hz * 1e6 / n, ct / hz * 1e6 / n, (wc != "" ? sprintf("%.1f", (w[1] + w[2]) * 1e6 / n) : "-")
        printf " %s %s %s %s", f(chk, "events"), f(chk, "expected"), f(chk, "violations"), f(chk, "disconnects")
      }')
  latcpu=$(awk -v s=$((ls1 - ls0)) -v c=$((lc1 - lc0)) -v n="$(field commits "$lat")" -v hz="$HZ" \
    'BEGIN { if (n + 0 > 0) printf "%.1f %.1f", s / hz * 1e6 / n, c / hz * 1e6 / n; else printf "- -" }')
  echo "$rep $fs $n $row ${slow:--} $([[ $(val ok "$check") == true ]] && echo ok || echo FAIL) $(val p50_ms "$lat") $(val p99_ms "$lat") $(val max_ms "$lat") $latcpu $(val commit_p50_ms "$lat") $(val commit_p99_ms "$lat")" | tee -a "$OUT"
  [[ $check == *ok=true* ]] || echo "# $rep fsync=$fs subs=$n: check failed: ${check:-no CHECK line}; ${done_line:-no DONE line}" | tee -a "$OUT" >&2
  [[ $lat == LATENCY* ]] || echo "# $rep fsync=$fs subs=$n: no latency result" | tee -a "$OUT" >&2
}

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) subscribe-bench: $(nproc) cores, reps=$REPS secs=$SECS warmup=$WARMUP fsync='$FSYNC' subs='$SUBS' conns=$CONNS wrk -t$WRK_THREADS latency: $LAT_RATE/s for ${LAT_SECS}s, $SAMPLE sampled subscribers"
  echo "# $("$JAVA" -version 2>&1 | head -1); $(wrk -v 2>&1 | head -1)"
  echo "# data dirs under $DATA_ROOT ($(df --output=fstype "$DATA_ROOT" | tail -1)); load avg before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# rep fsync subs rps p50_ms p99_ms errors server_cpu_us client_cpu_us wrk_cpu_us events expected violations disconnects slow check lat_p50_ms lat_p99_ms lat_max_ms lat_server_cpu_us lat_client_cpu_us lat_commit_p50_ms lat_commit_p99_ms"
  echo "# (cpu columns: microseconds per commit during the measured wrk run; events/expected/violations/disconnects: the subscriber client's check; slow: server's slow-disconnect counter)"
} | tee "$OUT"
: > "$OUT.log"

for rep in $(seq 1 "$REPS"); do
  subs=$SUBS
  (( rep % 2 == 0 )) && subs=$(tr ' ' '\n' <<< "$SUBS" | tac | tr '\n' ' ')
  for fs in $FSYNC; do
    for n in $subs; do run "$rep" "$fs" "$n"; done
  done
done

echo "# medians over $REPS repetition(s): fsync subs rps p50_ms p99_ms server_cpu_us client_cpu_us lat_p50_ms lat_p99_ms (lat_commit_p50_ms lat_commit_p99_ms lat_server_cpu_us), then rps / rps(subs=0) (goal at 1000: >= 0.90)" | tee -a "$OUT"
awk '!/^#/ && NF == 23 && $4 != "-" {
       k = $2 " " $3; rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; sc[k] = sc[k] " " $8; cc[k] = cc[k] " " $9
       if ($17 != "-") { lp50[k] = lp50[k] " " $17; lp99[k] = lp99[k] " " $18; lsc[k] = lsc[k] " " $20; lcp50[k] = lcp50[k] " " $22; lcp99[k] = lcp99[k] " " $23 }
       keys[k] = 1; if ($16 != "ok") bad[k]++ }
  function med(s,   a, n, i, j, t) { n = split(s, a, " "); if (n == 0) return "-"
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    for (k in keys) { split(k, p, " "); R[k] = med(rps[k])
      printf "M fsync=%-5s subs=%-4d  rps %7.0f  p50 %7.2f ms  p99 %7.2f ms  cpu/commit server %6.1f us client %6.1f us  e2e p50 %s ms p99 %s ms (commit p50 %s ms p99 %s ms, server %s us/commit)%s\n",
        p[1], p[2], R[k], med(p50[k]), med(p99[k]), med(sc[k]), med(cc[k]), med(lp50[k]), med(lp99[k]), med(lcp50[k]), med(lcp99[k]), med(lsc[k]), (bad[k] ? "  CHECK FAILED in " bad[k] " run(s)" : "") }
    for (k in keys) { split(k, p, " "); z = p[1] " 0"
      if (p[2] != 0 && (z in R) && R[z] > 0)
        printf "R fsync=%-5s subs=%-4d  rps/rps(0) %5.2f%s\n", p[1], p[2], R[k] / R[z], (p[2] == 1000 ? (R[k] / R[z] >= 0.90 ? "  (goal >= 0.90: met)" : "  (goal >= 0.90: NOT met)") : "") }
  }' "$OUT" | sort -k1,1 -k2,2 -k3,3V | sed 's/^[MR] //' | tee -a "$OUT"
echo "# wrk and client output: $OUT.log" | tee -a "$OUT"
