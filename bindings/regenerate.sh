#!/bin/sh
# Regenerates the committed FFM bindings in bindings/src/main/java from the C API header.
# Usage: JEXTRACT=<jextract launcher> bindings/regenerate.sh   (from any directory)
# It only runs jextract; bindings/README.md says how the committed output was produced.
set -eu
: "${JEXTRACT:?set JEXTRACT to a jextract launcher (see bindings/README.md)}"
cd "$(dirname "$0")/.."

header=native/include/guidance4j.h
out=bindings/src/main/java
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Only the header's own declarations: what stdint.h/stddef.h drag in differs between C
# libraries, and committing it would make the output depend on the machine that ran jextract.
"$JEXTRACT" --dump-includes "$tmp/all.txt" "$header"
grep "# header: .*$header\$" "$tmp/all.txt" | sed 's/ *#.*$//' > "$tmp/includes.txt"

rm -rf "$out/org/guidance4j/bindings"
"$JEXTRACT" --output "$out" --target-package org.guidance4j.bindings \
  --header-class-name guidance4j_h @"$tmp/includes.txt" "$header"
