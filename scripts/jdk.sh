# Sourced by the other scripts: exports JAVA_HOME pointing at a JDK 21 or newer.
# Order: an existing JAVA_HOME if it is new enough, then the newest JDK under /usr/lib/jvm,
# then the `java` on PATH. Fails with the install command when none is found.

zs_java_major() {
  # Prints the feature version of the JDK at $1 (e.g. 25), or nothing.
  local release="$1/release"
  [ -r "$release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

zs_find_jdk() {
  local best="" best_major=0 candidate major
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(zs_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] || continue
    major=$(zs_java_major "$candidate")
    [ -n "$major" ] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$candidate"; best_major=$major; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(zs_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$candidate"; return 0; fi
  fi
  return 1
}

if ! JAVA_HOME=$(zs_find_jdk); then
  echo "zeroscale: no JDK 21 or newer found (looked at JAVA_HOME, /usr/lib/jvm/*, and javac on PATH)." >&2
  echo "zeroscale: install one, e.g.: apt-get install -y openjdk-21-jdk-headless   (or set JAVA_HOME)" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's own Guava touches sun.misc.Unsafe, which JDK 24+ warns about on every run.
if [ "$(zs_java_major "$JAVA_HOME")" -ge 24 ]; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
