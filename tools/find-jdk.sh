# Sourced (not run) by ./guidance4j and .ci/run, with bash.
#
# On source: finds a JDK >= 25 and exports JAVA_HOME (and puts its bin/ first on PATH), or
# explains what it found and exits the sourcing script with status 1.
# g4j_check_build_tools: checks cmake >= 3.24, a C++17 compiler and mvn, the same way; the
# launcher calls it only when it is about to build, so running a built tree stays cheap.

G4J_MIN_JAVA=25
G4J_MIN_CMAKE=3.24

# Major version of the JDK at $1 (0 when unknown): the release file, else `java -version`.
g4j_jdk_major() {
  local home=$1 v=""
  if [[ -f "$home/release" ]]; then
    v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" | head -n 1)
  fi
  if [[ -z "$v" && -x "$home/bin/java" ]]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  v=${v#1.}  # Java 8 and older say 1.8.0_x
  v=${v%%[!0-9]*}
  echo "${v:-0}"
}

g4j_find_jdk() {
  local found=() best="" best_v=0 home v java_bin

  if [[ -n "${JAVA_HOME:-}" ]]; then
    v=$(g4j_jdk_major "$JAVA_HOME")
    if (( v >= G4J_MIN_JAVA )); then
      best=$JAVA_HOME best_v=$v
    else
      found+=("JAVA_HOME=$JAVA_HOME ($v)")
    fi
  fi

  if [[ -z "$best" ]]; then
    local seen=" " real
    for home in /usr/lib/jvm/* "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/*; do
      [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || continue
      # Debian links several names to one JDK; report and test each JDK once.
      real=$(readlink -f "$home")
      [[ "$seen" == *" $real "* ]] && continue
      seen+="$real "
      v=$(g4j_jdk_major "$home")
      if (( v >= G4J_MIN_JAVA && v > best_v )); then
        best=$home best_v=$v
      elif (( v < G4J_MIN_JAVA )); then
        found+=("$home ($v)")
      fi
    done
  fi

  if [[ -z "$best" ]] && java_bin=$(command -v java 2>/dev/null); then
    home=$(dirname "$(dirname "$(readlink -f "$java_bin")")")
    v=$(g4j_jdk_major "$home")
    if (( v >= G4J_MIN_JAVA )) && [[ -x "$home/bin/javac" ]]; then
      best=$home best_v=$v
    else
      found+=("java on PATH: $java_bin ($v)")
    fi
  fi

  if [[ -z "$best" ]]; then
    local list="none"
    (( ${#found[@]} )) && list=$(printf '%s; ' "${found[@]}") && list=${list%; }
    echo "guidance4j needs JDK $G4J_MIN_JAVA or newer; found: $list." >&2
    echo "Install e.g. Temurin $G4J_MIN_JAVA from adoptium.net or your package manager and set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME=$best
  export PATH="$JAVA_HOME/bin:$PATH"
}

# 0 when version $1 >= version $2 (dotted numbers).
g4j_version_ge() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

g4j_check_build_tools() {
  local ok=0 v cxx

  if ! command -v cmake >/dev/null 2>&1; then
    echo "guidance4j needs CMake $G4J_MIN_CMAKE or newer to build its native library, and cmake is not on PATH." >&2
    echo "Install it with your package manager (e.g. apt install cmake) or from cmake.org." >&2
    ok=1
  else
    v=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
    if ! g4j_version_ge "$v" "$G4J_MIN_CMAKE"; then
      echo "guidance4j needs CMake $G4J_MIN_CMAKE or newer; $(command -v cmake) is $v." >&2
      echo "Install a newer one (pip install cmake, or cmake.org) and put it first on PATH." >&2
      ok=1
    fi
  fi

  cxx=${CXX:-}
  if [[ -z "$cxx" ]]; then
    for c in c++ g++ clang++; do
      if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
    done
  fi
  if [[ -n "${CXX:-}" ]] && ! command -v "${cxx%% *}" >/dev/null 2>&1; then
    echo "guidance4j needs a C++17 compiler; CXX is set to '$CXX', which is not found." >&2
    echo "Fix or unset CXX (then c++, g++ or clang++ on PATH is used)." >&2
    ok=1
  elif [[ -z "$cxx" ]]; then
    echo "guidance4j needs a C++17 compiler (g++ >= 8 or clang++ >= 7) and found none (no c++, g++ or clang++ on PATH)." >&2
    echo "Install one, e.g. apt install g++ (Debian/Ubuntu) or dnf install gcc-c++ (Fedora)." >&2
    ok=1
  elif ! printf '#include <optional>\nint main() { std::optional<int> o = 1; if constexpr (sizeof(int) > 0) return *o - 1; }\n' |
      $cxx -std=c++17 -x c++ -o /dev/null - >/dev/null 2>&1; then
    echo "guidance4j needs a C++17 compiler; $cxx cannot compile C++17 (try a newer g++ or clang++, or set CXX)." >&2
    ok=1
  fi

  if ! command -v mvn >/dev/null 2>&1; then
    echo "guidance4j builds its Java part with Maven (3.6.3 or newer), and mvn is not on PATH." >&2
    echo "Install it with your package manager (e.g. apt install maven) or from maven.apache.org." >&2
    ok=1
  fi
  return $ok
}

g4j_find_jdk || exit 1
