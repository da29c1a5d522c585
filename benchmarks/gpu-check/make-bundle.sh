#!/usr/bin/env bash
# Builds the GPU check's bundle here, for a GPU machine that has only the CUDA driver and Python
# with PyTorch: benchmarks/gpu-check/bundle/guidance4j-gpu-check.tar.xz (ignored by git).
#
#   benchmarks/gpu-check/make-bundle.sh [--lean] [--skip-build]
#
# Inside (guidance4j-gpu-check/): lib/libguidance4j.so built with -DG4J_CPU_ARCH=x86-64-v3 and the
# CUDA backend (sm_90 + PTX), bin/g4j_smoke and bin/g4j_mma_layout_test, jars/ (the CLI and its
# dependencies), bench/benchmarks.jar, jre/ (a jlinked Java runtime), check/ (gpu_check.py, the
# vendor ABI check), and the data: models/digits-unet, fixtures/{adm,edm2}, tools/ (the Python
# references). --lean leaves the model and the fixtures out (gpu-check.sh then takes them from the
# repository checkout it runs in): for a device whose upload limit counts the checkout as well.
# --skip-build packs what the last run built.
# Environment: G4J_JOBS (compile jobs, default 2), XZ_OPT (default -9 -T2), G4J_BUNDLE_BUILD (the
# CMake build folder, default build/gpu-check-native; another folder is reconfigured for the
# bundle, e.g. build/native, whose CUDA objects then need no recompiling).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
cd "$ROOT"
source tools/find-jdk.sh
LEAN=0
BUILD_IT=1
for a in "$@"; do
  case $a in
    --lean) LEAN=1 ;;
    --skip-build) BUILD_IT=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-bundle.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
JOBS=${G4J_JOBS:-2}
NATIVE=${G4J_BUNDLE_BUILD:-$ROOT/build/gpu-check-native}
CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Release -DG4J_CPU_ARCH=x86-64-v3 -DG4J_CUDA=ON"
OUTDIR=$ROOT/benchmarks/gpu-check/bundle
NAME=guidance4j-gpu-check
STAGE=$OUTDIR/stage/$NAME
t0=$(date +%s)

if [[ $BUILD_IT == 1 ]]; then
  command -v nvcc >/dev/null || { echo "make-bundle.sh: nvcc not found: the bundle needs the CUDA backend" >&2; exit 1; }
  echo "make-bundle.sh: native build ($CMAKE_ARGS) in $NATIVE" >&2
  cmake -S . -B "$NATIVE" $CMAKE_ARGS >/dev/null
  cmake --build "$NATIVE" -j "$JOBS" --target guidance4j g4j_smoke g4j_mma_layout_test
  echo "make-bundle.sh: jars (mvn package, the library above inside)" >&2
  mvn -B -ntp -q -DskipTests -Dstyle.color=never -Dg4j.native.skip=true "-Dg4j.native.dir=$NATIVE" \
    -pl java,benchmarks -am package
fi
grep -q '^G4J_CPU_ARCH:STRING=x86-64-v3$' "$NATIVE/CMakeCache.txt" 2>/dev/null ||
  { echo "make-bundle.sh: $NATIVE is not built with -DG4J_CPU_ARCH=x86-64-v3 (run without --skip-build)" >&2; exit 1; }
grep -q '^G4J_HAVE_CUDA:INTERNAL=ON' "$NATIVE/CMakeCache.txt" 2>/dev/null ||
  grep -q 'G4J_WITH_CUDA' "$NATIVE/CMakeFiles/guidance4j.dir/flags.make" ||
  { echo "make-bundle.sh: $NATIVE has no CUDA backend" >&2; exit 1; }

rm -rf "$OUTDIR/stage"
mkdir -p "$STAGE"/{lib,bin,jars,bench,check}
cp "$NATIVE/libguidance4j.so" "$STAGE/lib/"
cp "$NATIVE/g4j_smoke" "$NATIVE/g4j_mma_layout_test" "$STAGE/bin/"
# The smoke CLI finds the library beside it ($ORIGIN): in the bundle it is in ../lib.
ln -s ../lib/libguidance4j.so "$STAGE/bin/libguidance4j.so"
for j in java/target/guidance4j-*.jar; do
  case $j in *-sources.jar | *-javadoc.jar | *-tests.jar) continue ;; esac
  cp "$j" "$STAGE/jars/"
done
cp java/target/lib/*.jar "$STAGE/jars/"
cp benchmarks/target/benchmarks.jar "$STAGE/bench/"
cp benchmarks/gpu-check/*.py native/tests/vendor/abi_check.cpp native/src/vendor_cudnn.h \
  native/src/vendor_cublaslt.h "$STAGE/check/"
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.management,java.logging,java.desktop \
  --strip-debug --no-header-files --no-man-pages --compress=zip-0 --output "$STAGE/jre"
mkdir -p "$STAGE/tools"
cp tools/adm_reference.py tools/convert_guided_diffusion.py "$STAGE/tools/"
if [[ $LEAN == 0 ]]; then
  mkdir -p "$STAGE/models" "$STAGE/fixtures"
  cp -r models/digits-unet "$STAGE/models/"
  cp -r java/src/test/resources/fixtures/adm java/src/test/resources/fixtures/edm2 "$STAGE/fixtures/"
fi
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!benchmarks/gpu-check/bundle' || echo "+changes")
cat > "$STAGE/BUNDLE.json" <<JSON
{"commit": "$commit", "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "cmake_args": "$CMAKE_ARGS",
 "jdk": "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1 | tr -d '"')", "lean": $([[ $LEAN == 1 ]] && echo true || echo false)}
JSON
out=$OUTDIR/$NAME.tar.xz
rm -f "$out"
XZ_OPT=${XZ_OPT:--9 -T2} tar -C "$OUTDIR/stage" -cJf "$out" "$NAME"
rm -rf "$OUTDIR/stage"
echo "make-bundle.sh: $out, $(du -h "$out" | cut -f1) ($(( $(date +%s) - t0 )) s)" >&2
