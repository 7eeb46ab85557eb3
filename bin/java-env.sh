# Sourced by ./arbiter and ./build: finds a Java 25+ runtime and Maven, exporting JAVA_HOME.
# Order: $JAVA_HOME if it is 25+, then /usr/lib/jvm/* (Temurin first), then `java` on the PATH.

java_major() {
  local release="$1/release" v
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "${v:-0}"
}

find_java_home() {
  local c
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 25 ]; then
    echo "$JAVA_HOME"; return 0
  fi
  for c in /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/*-2[5-9]* /usr/lib/jvm/jdk-2[5-9]* /opt/java/*; do
    if [ -x "$c/bin/java" ] && [ "$(java_major "$c")" -ge 25 ]; then echo "$c"; return 0; fi
  done
  if command -v java >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if [ "$(java_major "$c")" -ge 25 ]; then echo "$c"; return 0; fi
  fi
  return 1
}

if ! JAVA_HOME=$(find_java_home); then
  echo "Arbiter needs Java 25 or newer and found none (checked \$JAVA_HOME, /usr/lib/jvm, the PATH)." >&2
  echo "Install Temurin 25 (e.g. 'apt-get install temurin-25-jdk' from the Adoptium repository) or set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8 on Java 25 warns about its own use of sun.misc.Unsafe; the warning says nothing about Arbiter.
# Maven 3.8's console library (jansi) writes a colour reset (ESC[0m) to stdout and stderr as it starts and stops,
# even in batch mode with colour off, so a log or pipe read raw codes before the first line; noreset stops that.
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow} -Djansi.noreset=true"

if ! command -v mvn >/dev/null 2>&1; then
  echo "Arbiter builds with Apache Maven 3.8+ and found no 'mvn' on the PATH: 'apt-get install maven'." >&2
  exit 1
fi
