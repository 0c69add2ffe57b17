#!/usr/bin/env bash
# Builds the control plane's container image (Dockerfile) from this checkout's `npm pack` tarball.
#
#   scripts/build-image.sh [--tag NAME] [--base IMAGE | --debootstrap] [--builder podman|docker|buildah]
#
#   --tag NAME       image name (default gpufleet:VERSION, VERSION from package.json)
#   --base IMAGE     any Debian 12 image to build FROM (default debian:bookworm-slim, from a registry)
#   --debootstrap    no registry: make the Debian 12 base here with mmdebstrap from this host's apt
#                    sources (root; ~2 min), imported once as localhost/gpufleet-base:bookworm
#   --builder B      podman, docker or buildah (default: the first one found, in that order)
#   --npm-cafile F   CA certificates npm trusts in the install stage (a TLS-inspecting proxy's);
#                    default: this host's npm cafile setting, if any; never in the image itself
#
# Needs `npm ci` done in the checkout (npm pack's prepack runs tsc). The install stage reaches
# Debian's mirror and the npm registry. With podman or buildah, the RUN steps use chroot
# isolation (no namespaces or cgroups needed: it builds inside an unprivileged container too).
# Prints the image name on its last line. docs/install.md, "Container image", says how to run it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -nE 's/^  "version": "([^"]+)".*/\1/p' "$root/package.json")
tag="gpufleet:$version"
base=""
debootstrap=false
builder=""
cafile=""

help() { sed -nE '2,13s/^# ?//p' "$0"; }
usage() { help >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=${2:?--tag needs a name}; shift 2 ;;
    --base) base=${2:?--base needs an image}; shift 2 ;;
    --debootstrap) debootstrap=true; shift ;;
    --builder) builder=${2:?--builder needs podman, docker or buildah}; shift 2 ;;
    --npm-cafile) cafile=${2:?--npm-cafile needs a PEM file}; shift 2 ;;
    -h|--help) help; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1" >&2; usage ;;
  esac
done
if [ -n "$base" ] && $debootstrap; then echo "build-image.sh: --base and --debootstrap exclude each other" >&2; exit 2; fi
if [ -z "$builder" ]; then
  for b in podman docker buildah; do if command -v "$b" >/dev/null 2>&1; then builder=$b; break; fi; done
  [ -n "$builder" ] || { echo "build-image.sh: no podman, docker or buildah on PATH (Debian: apt-get install podman)" >&2; exit 1; }
fi
case "$builder" in podman|docker|buildah) ;; *) echo "build-image.sh: --builder must be podman, docker or buildah" >&2; exit 2 ;; esac

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

if $debootstrap; then
  base=localhost/gpufleet-base:bookworm
  if ! "$builder" image inspect "$base" >/dev/null 2>&1; then
    command -v mmdebstrap >/dev/null 2>&1 || { echo "build-image.sh: --debootstrap needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
    # The host's own apt sources (deb822 or one-line), so the base comes from the mirror this host uses.
    sources=/etc/apt/sources.list.d/debian.sources
    [ -f "$sources" ] || sources=/etc/apt/sources.list
    echo "build-image.sh: making a Debian 12 base with mmdebstrap from $sources" >&2
    mmdebstrap --variant=minbase --include=ca-certificates --aptopt='Acquire::Languages "none"' \
      bookworm "$ctx/base.tar" "$sources" >&2
    "$builder" import "$ctx/base.tar" "$base" >&2
    rm -f "$ctx/base.tar"
  fi
fi

echo "build-image.sh: npm pack" >&2
(cd "$root" && npm pack --silent --pack-destination "$ctx" >/dev/null)
cp "$root/Dockerfile" "$ctx/Dockerfile"
if [ -z "$cafile" ]; then
  cafile=$(cd "$root" && npm config get cafile 2>/dev/null || true)
  case "$cafile" in null|undefined) cafile="" ;; esac
fi
if [ -n "$cafile" ]; then
  [ -r "$cafile" ] || { echo "build-image.sh: --npm-cafile $cafile is not readable" >&2; exit 2; }
  cp "$cafile" "$ctx/build-ca.pem"
else
  : > "$ctx/build-ca.pem"
fi

args=(--tag "$tag")
[ -n "$base" ] && args+=(--build-arg "BASE=$base")
case "$builder" in
  # Docker's format keeps HEALTHCHECK (OCI image configs have no such field); host networking
  # and chroot isolation let RUN work where the builder itself runs unprivileged.
  podman) "$builder" build --format docker --isolation chroot --network host "${args[@]}" "$ctx" >&2 ;;
  buildah) "$builder" build --format docker --isolation chroot --network host "${args[@]}" "$ctx" >&2 ;;
  docker) "$builder" build --network host "${args[@]}" "$ctx" >&2 ;;
esac
echo "$tag"
