# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Shared settings of infra/images/* scripts. Source it; it defines no side effects.
IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_DIR="${KADAI_IMAGES_CACHE:-/var/cache/kadai/images}"
STATE_DIR="${KADAI_STATE_DIR:-/var/lib/kadai}"
REGISTRY_PORT="${KADAI_REGISTRY_PORT:-5000}"
REGISTRY_ADDR="127.0.0.1:${REGISTRY_PORT}"
REGISTRY_VERSION="${KADAI_REGISTRY_VERSION:-v3.1.2}"
# Every image goes into kadai's own engine (infra/docker/up), never into the machine's own Docker.
. "$IMAGES_DIR/../docker/engine.sh"
export DOCKER_HOST="unix://$ENGINE_SOCKET"
# Prefer Debian's CLI (same version as the daemon); any docker CLI works.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export DOCKER_BUILDKIT=0   # the classic builder: no buildx needed, FROM local tags never pulls
# hosts that the registry mirrors at its root (docker.io paths start with library/ or a user name,
# registry.k8s.io/k8s.gcr.io paths are the same images under the same names); any other host
# (mcr.microsoft.com) is stored under a prefix named after the host.
ROOT_HOSTS="docker.io registry.k8s.io k8s.gcr.io"

ilog() { echo "[images/$(basename "$0")] $*" >&2; }

# units from images.conf: prints "unit|dir|ctx|deps|args|tags" with trimmed fields
read_units() {
  grep -v '^\s*#' "$IMAGES_DIR/images.conf" | grep -v '^\s*$' |
    awk -F'|' '{ for (i = 1; i <= NF; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i) } ; print $1"|"$2"|"$3"|"$4"|"$5"|"$6 }'
}

# normalise an image reference: prints "host path tag"
normalise_ref() {
  local ref="$1" name tag host path
  name="${ref%:*}"; tag="${ref##*:}"
  [ "$name" = "$ref" ] && tag=latest
  case "${name%%/*}" in
    *.*|*:*|localhost) host="${name%%/*}"; path="${name#*/}" ;;
    *) host=docker.io; path="$name"; [[ "$path" == */* ]] || path="library/$path" ;;
  esac
  echo "$host $path $tag"
}

# where a (non-internal) tag lives in the local registry: prints "repo tag" (repo without registry)
registry_repo() {
  local host path tag
  read -r host path tag < <(normalise_ref "$1")
  if [[ " $ROOT_HOSTS " == *" $host "* ]]; then echo "$path $tag"; else echo "$host/$path $tag"; fi
}

all_tags() { read_units | awk -F'|' '{print $6}' | tr ' ' '\n' | grep -v '^$'; }
# kadai/* tags are build-internal, except kadai's own images that run in the cluster (the probe Pod
# of the Kubernetes grader): those are pushed like the stand-ins (registry path kadai/<name>).
PUBLISHED_KADAI_REPOS="kadai/probe"
public_tags() {
  local t
  while read -r t; do
    if [[ "$t" != kadai/* ]] || [[ " $PUBLISHED_KADAI_REPOS " == *" ${t%:*} "* ]]; then echo "$t"; fi
  done < <(all_tags)
}

# serialise concurrent runs of one script (e.g. two callers of infra/images/up at once)
take_lock() {  # name
  mkdir -p "$CACHE_DIR/locks"
  exec 8>"$CACHE_DIR/locks/$1.lock"
  if ! flock -n 8; then
    ilog "waiting for another $1 to finish"
    flock -w 3600 8 || { ilog "could not get the $1 lock"; exit 1; }
  fi
}
