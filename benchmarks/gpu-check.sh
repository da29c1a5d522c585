#!/usr/bin/env bash
# The GPU check: correctness on CUDA and guidance4j side by side with PyTorch, in one command, on
# a machine with an NVIDIA GPU, its driver, and Python with PyTorch and numpy; nothing else (no
# JDK, no Maven, no network). It unpacks the bundle that benchmarks/gpu-check/make-bundle.sh
# built, runs benchmarks/gpu-check/gpu_check.py from it, and writes into the output folder:
#   results.md    the tables (for benchmarks/RESULTS.md)     results.json  every figure
#   log.txt       every command and its output               smoke.txt     g4j_smoke's table
# Both results files are rewritten after every step, so an interrupted run keeps what it measured.
# About 5 minutes on an H200; steps that would start after --budget seconds are skipped.
#
#   benchmarks/gpu-check.sh [--out DIR] [--bundle FILE.tar.xz] [--device cuda|cpu] [--compile]
#                           [--budget SECONDS]
#
#   --out       the output folder (default: $OUT, else benchmarks/gpu-check/out)
#   --bundle    default benchmarks/gpu-check/bundle/guidance4j-gpu-check.tar.xz
#   --device    cpu rehearses every step on the CPU with a tiny network (default cuda)
#   --compile   also time torch.compile's forward (about 70 s more)
#   --budget    seconds for the whole check (default 450)
# Environment: PYTHON (default python3), G4J_VENDOR_LIBRARY_PATH (default: PyTorch's own cuDNN and
# cuBLAS from its wheels, so both sides run the same vendor kernels).
# Exit status: 0 when no step failed, 1 when one did, 2 when the check could not start.
set -uo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
BUNDLE=$ROOT/benchmarks/gpu-check/bundle/guidance4j-gpu-check.tar.xz
OUT_DIR=${OUT:-$ROOT/benchmarks/gpu-check/out}
PASS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT_DIR=$2; shift 2 ;;
    --bundle) BUNDLE=$2; shift 2 ;;
    --device | --budget) PASS+=("$1" "$2"); shift 2 ;;
    --compile) PASS+=("$1"); shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
PYTHON=${PYTHON:-python3}
if [[ ! -f $BUNDLE ]]; then
  echo "gpu-check.sh: no bundle at $BUNDLE: build it with benchmarks/gpu-check/make-bundle.sh (on a machine with a JDK, Maven and nvcc)" >&2
  exit 2
fi
if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "gpu-check.sh: $PYTHON cannot import torch and numpy (set PYTHON to an interpreter that can)" >&2
  exit 2
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/g4j-gpu-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
tar -xJf "$BUNDLE" -C "$WORK" || { echo "gpu-check.sh: could not unpack $BUNDLE" >&2; exit 2; }
mkdir -p "$OUT_DIR"
"$PYTHON" -u "$WORK/guidance4j-gpu-check/check/gpu_check.py" --root "$WORK/guidance4j-gpu-check" \
  --repo "$ROOT" --out "$OUT_DIR" "${PASS[@]}"
