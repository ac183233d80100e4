# Shared by the bench/*.sh scripts (sourced, not run).

# Sets JAVA_HOME (a JDK >= 21: the given one, else the first found under /usr/lib/jvm) and JAVA.
pick_java() {
  if [[ -z ${JAVA_HOME:-} ]] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
    local d
    for d in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
      "$d/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])' && { JAVA_HOME=$d; break; }
    done
  fi
  export JAVA_HOME
  JAVA=$JAVA_HOME/bin/java
}

# Stops the server whose pid is in $SPID (TERM, up to 10 s, then KILL) and clears SPID.
stop_server() {
  [[ -n ${SPID:-} ]] || return 0
  if kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null || true
  fi
  wait "$SPID" 2>/dev/null || true
  SPID=
}

# Starts target/weaseldb.jar on 127.0.0.1:$PORT with a fresh data dir under $DATA_ROOT (default $TMP) and
# the given storage.fsync, plus any further TOML tables given as the second argument and in $EXTRA_TOML
# (for any script, e.g. EXTRA_TOML=$'[http.pipelines.commit_status]\nlayout = "split"'); sets SPID and waits
# for /ready. Uses JAVA, WEASEL_OPTS, ROOT, TMP, DATA_ROOT, PORT, EXTRA_TOML.
start_weaseldb() { # fsync: true|false, [extra TOML]
  local data=${DATA_ROOT:-$TMP}/weaseldb-data
  rm -rf "$data"
  cat > "$TMP/weasel.toml" <<TOML
[http]
bind_address = "127.0.0.1"
port = $PORT
[storage]
data_dir = "$data"
fsync = $1
${2:-}
${EXTRA_TOML:-}
TOML
  # shellcheck disable=SC2086
  "$JAVA" $WEASEL_OPTS -jar "$ROOT/target/weaseldb.jar" --config "$TMP/weasel.toml" > "$TMP/server.log" 2>&1 &
  SPID=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "weaseldb did not start:" >&2; cat "$TMP/server.log" >&2; exit 1
}

# The server's latest version (GET /v1/version on $PORT), or nothing if it does not answer.
latest_version() { curl -s "http://127.0.0.1:$PORT/v1/version" | sed -n 's/.*"version":\([0-9]*\).*/\1/p'; }

# wrk's trailing arguments for bench/commit.lua at CONNS connections: "-- VERSION CONNS", read just before
# the run (commit.lua derives its read versions from them).
commit_lua_args() { echo "-- $(latest_version) $1"; }

# Builds the peers of ../shared/peers (read-only) from a copy in $TMP, once, if any of the given servers is one of
# its Java peers (netty, helidon, jetty, jdk); sets PEERS_JAR. Uses PEERS_DIR, TMP.
build_peers() { # servers...
  PEERS_JAR=$TMP/peers/target/peers.jar
  [[ -f $PEERS_JAR ]] && return 0
  local s java_peer=0
  for s in "$@"; do case $s in netty|helidon|jetty|jdk) java_peer=1;; esac; done
  (( java_peer )) || return 0
  cp -r "$PEERS_DIR" "$TMP/peers" && chmod -R u+w "$TMP/peers"
  (cd "$TMP" && mvn -q -f peers/pom.xml package) || { echo "peer build failed" >&2; exit 2; }
}

# Starts a peer on $PORT: nginx with ../shared/peers/nginx.conf, or netty|helidon|jetty|jdk from PEERS_JAR
# (build_peers first); sets SPID and waits until GET /ok answers. Uses JAVA, PEERS_DIR, PEERS_JAR, PORT, TMP.
start_peer() { # name
  if [[ $1 == nginx ]]; then
    sed "s/8080/$PORT/" "$PEERS_DIR/nginx.conf" > "$TMP/nginx.conf"
    mkdir -p "$TMP/nginx"
    nginx -c "$TMP/nginx.conf" -p "$TMP/nginx/" > "$TMP/server.log" 2>&1 &
  else
    "$JAVA" -Xmx1g -jar "$PEERS_JAR" "$1" "$PORT" > "$TMP/server.log" 2>&1 &
  fi
  SPID=$!
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$PORT/ok" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "$1 did not start:" >&2; cat "$TMP/server.log" >&2; exit 1
}

# Prints its arguments after the first, one per line: as given when the repetition number (the first) is
# odd, reversed when it is even, so that no system always runs first on a host whose speed drifts.
rep_order() { # rep items...
  local rep=$1; shift
  if (( rep % 2 == 0 )); then printf '%s\n' "$@" | tac; else printf '%s\n' "$@"; fi
}
