# Shared helpers of bin/netra and scripts/*.sh (sourced, not run).
# shellcheck shell=bash

NETRA_ROOT=${NETRA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TEMURIN_25=/usr/lib/jvm/temurin-25-jdk-amd64

die() { echo "netra: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }

# The major version of a Java home, into JAVA_MAJOR: read from its release file without forking
# (bin/netra runs this on every sidecar start), else asked (slow).
java_major() {
  local home=$1 line
  JAVA_MAJOR=0
  if [ -r "$home/release" ]; then
    while IFS= read -r line; do
      if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
        JAVA_MAJOR=${BASH_REMATCH[1]}
        return 0
      fi
    done <"$home/release"
  fi
  line=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  JAVA_MAJOR=${line:-0}
}

# Sets JAVA_HOME to a Java 25 (or newer): $JAVA_HOME if it is one, else Temurin 25.
find_java() {
  local candidate
  for candidate in "${JAVA_HOME:-}" "$TEMURIN_25" "$NETRA_ROOT/jre"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    java_major "$candidate"
    if [ "$JAVA_MAJOR" -ge 25 ]; then
      export JAVA_HOME=$candidate
      return 0
    fi
  done
  die "Java 25 not found: set JAVA_HOME to a JDK 25 (looked at \$JAVA_HOME and $TEMURIN_25)"
}

# Installs Debian packages that provide the given commands when they are missing: cmd:package ...
ensure_commands() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$EUID" -eq 0 ] || die "missing packages ${missing[*]}: install them, or run as root"
  log "installing ${missing[*]}"
  if [ ! -f /tmp/.netra-apt-updated ]; then
    apt-get update -q >/dev/null && touch /tmp/.netra-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# Installs Debian packages that give no command to look for (a Python module, for one).
ensure_packages() {
  [ "$EUID" -eq 0 ] || die "missing packages $*: install them, or run as root"
  log "installing $*"
  if [ ! -f /tmp/.netra-apt-updated ]; then
    apt-get update -q >/dev/null && touch /tmp/.netra-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# Starts dockerd in the background when no engine answers.
ensure_docker() {
  ensure_commands docker:docker.io dockerd:docker.io
  docker info >/dev/null 2>&1 && return 0
  log "starting dockerd"
  (nohup dockerd >/var/log/netra-dockerd.log 2>&1 &)
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "dockerd did not start; see /var/log/netra-dockerd.log"
}

# Builds the jars when they are missing (once; later runs reuse them).
ensure_jars() {
  if [ -d "$NETRA_ROOT/lib" ]; then  # an image: the jars are installed, never built
    NETRA_LIB=$NETRA_ROOT/lib
    return 0
  fi
  NETRA_LIB=$NETRA_ROOT/target/lib
  local jar
  for jar in netra-sidecar netra-init netra-testapp netra-inject; do
    [ -f "$NETRA_LIB/$jar.jar" ] || { build_jars; return 0; }
  done
}

build_jars() {
  [ -w "$NETRA_ROOT" ] || die "the jars are not built and $NETRA_ROOT is not writable: run 'bin/netra build' as its owner first"
  ensure_commands mvn:maven
  log "building netra (once)"
  (cd "$NETRA_ROOT" && mvn -q -B -DskipTests package) >&2 || die "build failed: run 'mvn -B -DskipTests package' in $NETRA_ROOT to see why"
  collect_jars
}

# Gathers the runnable jars of a finished Maven build into target/lib.
collect_jars() {
  mkdir -p "$NETRA_ROOT/target/lib"
  cp "$NETRA_ROOT/netra-sidecar/target/netra-sidecar.jar" "$NETRA_ROOT/netra-init/target/netra-init.jar" \
     "$NETRA_ROOT/netra-testapp/target/netra-testapp.jar" "$NETRA_ROOT/netra-inject/target/netra-inject.jar" \
     "$NETRA_ROOT/target/lib/"
  NETRA_LIB=$NETRA_ROOT/target/lib
}
