#!/usr/bin/env bash
# Shared helpers for Courier's scripts. Source it: `. "$(dirname "$0")/lib.sh"`.
# courier_find_jdk: exports JAVA_HOME pointing at a JDK 21+ (JAVA_HOME if it qualifies, else the newest
# JDK under the usual system locations) and puts it first on PATH; stops with a clear message when none exists.

courier_java_major() { # $1 = java binary; prints the feature version (17, 21, 25 …) or nothing
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

courier_find_jdk() {
  local candidates=() c major best="" best_major=0
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(courier_java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null; then best="$JAVA_HOME"; best_major=$major; fi
  fi
  if [ -z "$best" ]; then
    for c in "${candidates[@]}"; do
      [ -x "$c/bin/javac" ] || continue
      major=$(courier_java_major "$c/bin/java")
      [ -n "$major" ] || continue
      if [ "$major" -ge 21 ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then best="$c"; best_major=$major; fi
    done
  fi
  if [ -z "$best" ]; then
    echo "courier: no JDK 21 or newer found (looked at JAVA_HOME and /usr/lib/jvm, /usr/java, /opt/java)." >&2
    echo "courier: install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+) or set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}
