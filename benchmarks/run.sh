#!/usr/bin/env bash
# guidance4j benchmarks: builds the JMH jar and runs it. See benchmarks/README.md.
#
#   benchmarks/run.sh [suite] [JMH args...]   the JMH suite (default); extra args go to JMH:
#                                             a regex of benchmarks, -p batch=1, -e Conv, ...
#   benchmarks/run.sh compare                 ADM-64 forward, Java vs PyTorch CPU, same weights
#   benchmarks/run.sh report RESULT.json      Markdown tables (GB/s, GFLOP/s) of a JMH result
#
# Environment (defaults in brackets):
#   FORKS [1] WARMUP [2] WARMUP_TIME [1s] ITERATIONS [3] TIME [1s]   JMH run lengths
#   DEVICES [cpu, plus cuda when the library finds a device]         the device parameter
#   OUT [benchmarks/target/results]     where results go: jmh-<stamp>.json and .md, compare-<stamp>.md
#   MODELS [$OUT/models]                random-weight checkpoints of the network benchmarks (1.2 GB)
#   THREADS [2] BATCHES [1,16] FWD_WARMUP [1] REPEATS [5] PYTHON [python3]   for compare
#   G4J_LIBRARY                         a built libguidance4j.so to use (skips the native build)
#   SKIP_BUILD [0]                      1: use benchmarks/target/benchmarks.jar as it is
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$ROOT/tools/find-jdk.sh"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

JAR=$ROOT/benchmarks/target/benchmarks.jar
OUT=${OUT:-$ROOT/benchmarks/target/results}
MODELS=${MODELS:-$OUT/models}
STAMP=$(date -u +%Y%m%d-%H%M%S)
JOBS=${G4J_JOBS:-$(nproc 2>/dev/null || echo 4)}

JVM_PROPS=("-Dg4j.bench.models=$MODELS" "-Dg4j.bench.root=$ROOT")
MVN_PROPS=(-DskipTests -Dstyle.color=never "-Dg4j.native.jobs=$JOBS" "-Dg4j.cmake.args=${G4J_CMAKE_ARGS:-}")
if [[ -n "${G4J_LIBRARY:-}" ]]; then
  JVM_PROPS+=("-Dguidance4j.library.path=$G4J_LIBRARY")
  MVN_PROPS+=(-Dg4j.native.skip=true)
fi

build() {
  [[ "${SKIP_BUILD:-0}" == 1 && -f "$JAR" ]] && return 0
  g4j_check_build_tools || exit 1
  echo "run.sh: building benchmarks/target/benchmarks.jar (and the library it depends on)..." >&2
  cd "$ROOT"
  if grep -Eq '^[[:space:]]*<module>benchmarks</module>' pom.xml; then
    mvn -B -ntp -q "${MVN_PROPS[@]}" -pl benchmarks -am package
  else
    # Until the root pom lists the module: install the library, then build this module alone.
    mvn -B -ntp -q "${MVN_PROPS[@]}" -pl java -am install
    mvn -B -ntp -q "${MVN_PROPS[@]}" -f benchmarks/pom.xml package
  fi
}

java_() {
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${JVM_PROPS[@]}" -cp "$JAR" "$@"
}

suite() {
  build
  mkdir -p "$OUT"
  local devices=${DEVICES:-$(java_ org.guidance4j.bench.DeviceProbe)}
  local device_arg=(-p "device=$devices")
  local a
  for a in "$@"; do
    [[ "$a" == device=* ]] && device_arg=()
  done
  local result=$OUT/jmh-$STAMP.json
  echo "run.sh: JMH on $devices (load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown))" >&2
  "$JAVA_HOME/bin/java" -jar "$JAR" \
    -f "${FORKS:-1}" -wi "${WARMUP:-2}" -w "${WARMUP_TIME:-1s}" -i "${ITERATIONS:-3}" -r "${TIME:-1s}" \
    "${device_arg[@]}" -jvmArgsPrepend "${JVM_PROPS[*]}" -rf json -rff "$result" "$@"
  java_ org.guidance4j.bench.Report "$result" > "${result%.json}.md"
  echo "run.sh: $result and ${result%.json}.md (load average now: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown))" >&2
}

compare() {
  build
  mkdir -p "$OUT"
  local dir=$OUT/adm64-compare
  "${PYTHON:-python3}" "$ROOT/tools/bench_torch_cpu.py" --out "$dir" --threads "${THREADS:-2}" \
    --batches "${BATCHES:-1,16}" --warmup "${FWD_WARMUP:-1}" --repeats "${REPEATS:-5}"
  java_ org.guidance4j.bench.ForwardTiming "$dir" --threads "${THREADS:-2}" --batches "${BATCHES:-1,16}" \
    --warmup "${FWD_WARMUP:-1}" --repeats "${REPEATS:-5}" | tee "$OUT/compare-$STAMP.md"
  echo "run.sh: $OUT/compare-$STAMP.md" >&2
}

case "${1:-suite}" in
  suite) shift; suite "$@" ;;
  compare) compare ;;
  report)
    [[ $# -eq 2 ]] || { echo "usage: benchmarks/run.sh report RESULT.json" >&2; exit 2; }
    build
    java_ org.guidance4j.bench.Report "$2"
    ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) suite "$@" ;;
esac
