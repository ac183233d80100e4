#!/usr/bin/env bash
# Where a server's CPU per request goes at many connections, split into user space and four kinds of kernel
# work, for WeaselDB and peers in the same run (GET /ok, wrk, perf sampling the server's threads).
#
#   bench/kernel-split.sh [SERVERS...]     default: weaseldb netty
#
# For each repetition (order reversed on even ones) and each server: start it, warm up (64 connections
# WARMUP s, then CONNS connections WARMUP s), then `perf record -F FREQ` on the server's process during a
# measured `wrk -t1 -c CONNS -d SECS` run. Each sample stands for 1/FREQ s of CPU, so samples / FREQ /
# requests is CPU per request; the columns (µs per request) split it by where the sample landed:
#   user     the JVM's or nginx's own code (JIT-compiled, interpreter, libjvm, libc, vdso)
#   entry    the system calls' entry and file-descriptor path: read/write go through the VFS (vfs_read,
#            fdget_pos, rw_verify_area, sock_read_iter, ...), recvfrom/sendto do not (__sys_recvfrom, fdget)
#   wake     waking and switching threads: ours (poller, carrier, stages) and, on loopback, the client's:
#            a write that makes wrk's socket readable wakes wrk's epoll on the writer's CPU
#   epoll    epoll_wait and the readiness polls it runs (ep_*, sock_poll, tcp_poll)
#   tcp      the rest of the kernel: TCP/IP on both ends of the loopback, copies, socket buffers
#   total    all samples
#   poller   of the total, what ran on WeaselDB's poller threads (weaseldb-poller-*): the hand-off to the
#            connections' virtual threads, which an event loop like Netty's does not have (0 for peers)
# Prints one row per run, then medians per server with ratios against REF's medians (server / REF).
#
# Needs perf (Debian: apt-get install linux-perf) and the right to sample (root, or
# kernel.perf_event_paranoid <= 1). Environment: REPS (3), SECS (8), WARMUP (3), CONNS (1000), FREQ (4999), REF (netty),
# PORT (18085), WEASEL_OPTS (-Xmx1g), PEERS_DIR, JAVA_HOME, OUT (default bench/results/kernel-split-<stamp>.txt).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SERVERS=("${@:-weaseldb netty}")
read -r -a SERVERS <<< "${SERVERS[*]}"
REPS=${REPS:-3}; SECS=${SECS:-8}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-1000}; FREQ=${FREQ:-4999}; PORT=${PORT:-18085}
REF=${REF:-netty}
WEASEL_OPTS=${WEASEL_OPTS:--Xmx1g}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
pick_java
command -v perf >/dev/null || { echo "perf missing: apt-get install -y linux-perf" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
mkdir -p "$HERE/results"
OUT=${OUT:-$HERE/results/kernel-split-$(date -u +%Y%m%dT%H%M%SZ).txt}
TMP=$(mktemp -d -t weasel-ksplit.XXXXXX)
trap 'stop_server; rm -rf "$TMP"' EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
build_peers "${SERVERS[@]}"
[[ -f $ROOT/target/weaseldb.jar ]] || (cd "$ROOT" && ./mvnw -q -B -DskipTests package)

SPID=
start_server() {
  if [[ $1 == weaseldb ]]; then start_weaseldb false; else start_peer "$1"; fi
}

# One measured run of the started server -> "rps user entry wake epoll tcp total poller" (µs per request)
measure() {
  local url=http://127.0.0.1:$PORT/ok pids
  wrk -t1 -c64 -d"${WARMUP}s" "$url" > /dev/null 2>&1 || true
  wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$url" > /dev/null 2>&1 || true
  pids=$(echo "$SPID" $(pgrep -P "$SPID" 2>/dev/null || true) | tr ' ' ',')  # nginx: its workers too
  perf record -q -F "$FREQ" -p "$pids" -o "$TMP/perf.data" -- sleep "$SECS" > /dev/null 2>&1 &
  local rec=$!
  wrk -t1 -c"$CONNS" -d"${SECS}s" "$url" > "$TMP/wrk.log" 2>&1 || true
  wait "$rec" || true
  perf report -i "$TMP/perf.data" --no-children --sort comm,sym --stdio --show-nr-samples -t ';' 2>/dev/null > "$TMP/report.txt"
  awk -v freq="$FREQ" -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.log")" \
      -v n="$(awk '/requests in/ {print $1}' "$TMP/wrk.log")" -F ';' '
    /^#/ || NF < 4 { next }
    { samples = $2 + 0; total += samples
      if ($3 ~ /^weaseldb-poller/) poller += samples
      if ($4 !~ /^\[k\] /) { user += samples; next }
      sym = substr($4, 5)
      if (sym ~ /^(vfs_(read|write)|ksys_(read|write)|fdget(_pos)?|__fget_light|rw_verify_area|sock_(read|write)_iter|sock_(recv|send)msg|__sys_(recvfrom|sendto)|__x64_sys_|security_socket_|do_syscall_64|entry_SYSCALL|syscall_exit|exit_to_user_mode|fput)/) entry += samples
      else if (sym ~ /^(_raw_spin_unlock_irq|try_to_wake_up|finish_task_switch|__schedule|schedule|__wake_up|ep_poll_callback|sock_def_readable|futex_|ttwu_|enqueue_task|dequeue_task|pick_next|psi_)/) wake += samples
      else if (sym ~ /^(ep_|do_epoll_wait|__x64_sys_epoll|sock_poll|tcp_poll)/) epoll += samples
      else tcp += samples }
    END { if (n <= 0) { print "- - - - - - - -"; exit }
          k = 1e6 / freq / n
          printf "%.0f %.2f %.2f %.2f %.2f %.2f %.2f %.2f\n", rps, user * k, entry * k, wake * k, epoll * k, tcp * k, total * k, poller * k }' \
    "$TMP/report.txt"
}

echo "# $(date -u) $(nproc) cores; reps=$REPS secs=$SECS conns=$CONNS freq=$FREQ; rep server rps, then µs per request: user entry wake epoll tcp total poller" | tee "$OUT"
for rep in $(seq 1 "$REPS"); do
  for s in $(rep_order "$rep" "${SERVERS[@]}"); do
    start_server "$s"
    echo "$rep $s $(measure)" | tee -a "$OUT"
    stop_server
  done
done

echo "# medians (ratio: server / $REF)" | tee -a "$OUT"
awk -v first="$REF" '!/^#/ && $3 != "-" { for (i = 3; i <= 10; i++) v[$2, i] = v[$2, i] " " $i; seen[$2] = 1 }
  function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { split("rps user entry wake epoll tcp total poller", name, " ")
    for (s in seen) for (i = 3; i <= 10; i++) m[s, i] = med(v[s, i])
    for (s in seen) { line = sprintf("%-9s", s)
      for (i = 3; i <= 10; i++) line = line sprintf("  %s %s%s", name[i - 2], (i == 3 ? sprintf("%.0f", m[s, i]) : sprintf("%.2f", m[s, i])),
        (s != first && m[first, i] > 0) ? sprintf(" (%.2fx)", m[s, i] / m[first, i]) : "")
      print line } }' "$OUT" | sort | tee -a "$OUT"
