#!/bin/sh
# Builds the library with the CUDA backend's kernels compiled as C++ under emulation (emu.h)
# and runs the project's smoke CLI on its "cuda" backend, so the kernels' index arithmetic is
# checked against the float64 references on a machine without a GPU. Slow (one std::thread
# per CUDA thread): --quick takes about ten minutes on two cores; the default set far longer.
#
# Usage, from the repository root: sh native/src/cuda/emulation/run_smoke.sh [g4j_smoke args]
# Environment: BUILD (default /tmp/g4j-cuda-emulation), CUDA_HOME (default /usr/local/cuda, for
# the fp16/bf16 and runtime headers only), CXX (default g++, needs C++20 <barrier>).
set -e
ROOT=$(pwd)
HERE=native/src/cuda/emulation
BUILD=${BUILD:-/tmp/g4j-cuda-emulation}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
CXX=${CXX:-g++}
# Everything is rebuilt: objects depend on headers (ops.h) that a timestamp check would miss.
rm -rf "$BUILD/obj"
mkdir -p "$BUILD/obj"

COMMON="-std=c++20 -O2 -fPIC -I$ROOT/native/include -I$ROOT/native/src -I$CUDA_HOME/include"
KERNEL="$COMMON -Wno-unknown-pragmas -include $ROOT/$HERE/emu.h -I$ROOT/native/src/cuda"

for f in native/src/*.cpp native/src/cpu/*.cpp; do
  o="$BUILD/obj/$(echo "$f" | tr / _ | sed 's/\.cpp$/.o/')"
  $CXX $COMMON -march=native -ffp-contract=fast -DG4J_BUILDING_LIBRARY -DG4J_WITH_CUDA \
    -c "$f" -o "$o"
done
$CXX $COMMON -c $HERE/emu_runtime.cpp -o "$BUILD/obj/emu_runtime.o"
$CXX $KERNEL -c $HERE/emu.cpp -o "$BUILD/obj/emu.o"
# Headers too (implicit_gemm.cuh launches kernels); the rewritten copies sit beside the rewritten
# .cu files, where their quoted #includes find them first.
for f in native/src/cuda/*.cuh; do python3 $HERE/xform.py "$f" "$BUILD/$(basename "$f")"; done
for f in native/src/cuda/*.cu; do
  name=$(basename "$f" .cu)
  case $name in runtime|device_select) continue ;; esac  # replaced by emu_runtime.cpp
  python3 $HERE/xform.py "$f" "$BUILD/cu_$name.cpp"
  $CXX $KERNEL -c "$BUILD/cu_$name.cpp" -o "$BUILD/obj/cu_$name.o"
done
$CXX -shared -o "$BUILD/libguidance4j.so" "$BUILD"/obj/*.o -lpthread
# The register-layout check of mma.cuh's tensor-core primitives (see mma_layout_test.cu).
python3 $HERE/xform.py native/tests/cuda/mma_layout_test.cu "$BUILD/mma_layout_test.cpp"
$CXX $KERNEL "$BUILD/mma_layout_test.cpp" "$BUILD/obj/emu.o" -o "$BUILD/mma_layout_test" -lpthread
"$BUILD/mma_layout_test"
$CXX -std=c++17 -O2 -I$ROOT/native/include -I$ROOT/native/tools native/tools/*.cpp \
  -o "$BUILD/g4j_smoke" -L"$BUILD" -lguidance4j -Wl,-rpath,"$BUILD" -lpthread
"$BUILD/g4j_smoke" --backend cuda "$@"
