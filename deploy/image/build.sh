#!/usr/bin/env bash
# Builds the daemon's container image without pulling any base image: a jlink runtime made from
# the build's JDK (every module but the development tools), the assembly's distribution,
# and the shared libraries both load, copied from this machine (ldd), into a root filesystem that
# podman turns into an OCI image FROM scratch.
# Usage: deploy/image/build.sh [TAG]   (default zeroscale/daemon:<version>; needs the distribution:
#   mvn -B -ntp -o package -pl assembly -am -DskipTests)
# Env: ZS_DIST (the unpacked distribution; default assembly/target/zeroscale-*/zeroscale-*),
#      JAVA_HOME (a JDK 21+ with jlink; default: scripts/jdk.sh's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/jlink" ]; then
  # shellcheck disable=SC1091
  source scripts/jdk.sh >/dev/null
fi
dist=${ZS_DIST:-}
if [ -z "$dist" ]; then
  for d in assembly/target/zeroscale-*/zeroscale-*; do [ -d "$d/lib" ] && dist=$d; done
fi
[ -n "$dist" ] && [ -d "$dist/lib" ] || {
  echo "zeroscale: no distribution under assembly/target; build it: mvn -B -ntp -o package -pl assembly -am -DskipTests" >&2
  exit 1
}
version=${dist##*/zeroscale-}
# The manifests and the chart name zeroscale/daemon:<version without -SNAPSHOT>.
tag=${1:-zeroscale/daemon:${version%-SNAPSHOT}}
command -v podman >/dev/null || {
  echo "zeroscale: podman not found; install it: bash -c 'source scripts/peers.sh && source scripts/peers.d/podman.sh && zs_peer_podman'" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/zeroscale-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/opt" "$root/etc/zeroscale" "$root/var/lib" "$root/tmp" "$work/data"

# 1. The Java runtime: every module of the build's JDK but its development tools (jdeps cannot
# list the daemon's needs: the OpenTelemetry jars are modular and refer to modules that are not
# shipped, and a JDK without packaged modules cannot link jdk.jlink into an image anyway).
modules=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//' \
  | grep -v -x -E 'jdk\.(jlink|jpackage|jshell|javadoc|compiler|jdeps|jartool|jconsole|editpad|hotspot\.agent|jdi|jdwp\.agent|jstatd)' | paste -sd, -)
echo "zeroscale: jlink runtime with $modules"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$root/opt/java"

# 2. The distribution (bin/ keeps the launcher for users of the tarball; the image runs java itself).
cp -a "$dist" "$root/opt/zeroscale"
cp "$repo/deploy/image/check.yaml" "$root/etc/zeroscale/check.yaml"

# 3. The shared libraries the runtime and the distribution's native libraries load (glibc, zlib,
# libstdc++ for Netty's epoll and the like), with the dynamic loader, from this machine.
{
  find "$root/opt" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0 | xargs -0 -r ldd 2>/dev/null \
    | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^\s*\(\/[^ ]*\) (0x.*/\1/p' || true
  # Netty's native transport is unpacked from its jar at run time: its libraries' needs too.
  for jar in $(find "$root/opt/zeroscale" -name 'netty-transport-native-*linux-x86_64*.jar'); do
    mkdir -p "$work/native" && (cd "$work/native" && "$JAVA_HOME/bin/jar" xf "$jar" META-INF/native 2>/dev/null || true)
  done
  [ -d "$work/native" ] && find "$work/native" -name '*.so' -print0 | xargs -0 -r ldd 2>/dev/null \
    | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^\s*\(\/[^ ]*\) (0x.*/\1/p' || true
  true
} | sort -u > "$work/libs"
while read -r lib; do
  [ -e "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done < "$work/libs"
echo "zeroscale: shared libraries from this machine: $(tr '\n' ' ' < "$work/libs")"

# 4. What glibc and the JVM expect in /etc; the user the Deployment runs as (65532).
printf 'root:x:0:0:root:/root:/sbin/nologin\nzeroscale:x:65532:65532:zeroscale:/tmp:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nzeroscale:x:65532:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
chmod 1777 "$root/tmp"

cp "$here/Containerfile" "$work/Containerfile"
podman build --pull=never --network=none -t "$tag" -f "$work/Containerfile" "$work"
echo "zeroscale: built $tag ($(podman image inspect --format '{{.Size}}' "$tag") bytes)"
