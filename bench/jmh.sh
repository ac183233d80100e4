#!/usr/bin/env bash
# Runs the JMH benchmarks of src/jmh/java (compiled with the tests, run only here).
#   bench/jmh.sh [PATTERN] [JMH ARGS...]    e.g. bench/jmh.sh ParserBenchmark -f 1 -wi 3 -i 5
# Default: every benchmark, 1 fork, 3 warmup and 5 measurement iterations of 2 s.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PATTERN=${1:-.}
shift || true
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(-f 1 -wi 3 -w 2 -i 5 -r 2)
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
./mvnw -B -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test
# mvnw picked the JDK; use the same one to run.
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
if ! "$JAVA" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    "$d/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])' && { JAVA=$d/bin/java; break; }
  done
fi
exec "$JAVA" -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" org.openjdk.jmh.Main "$PATTERN" "${ARGS[@]}"
