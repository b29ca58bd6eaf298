# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Where kadai's BuildKit daemon lives. Sourced by infra/buildkit/{build,up,down}; settings only.
# The version is the one module/go.mod requires, with kadai's patches (patches/): the binaries are
# cached per release; bump the -kadai.<n> suffix (here and BUILDKIT_RELEASE in
# packages/grader-docker/src/options.ts) when the patches change.
BUILDKIT_VERSION="$(awk '$1 == "require" && $2 == "github.com/moby/buildkit" {print $3}' "$(dirname "${BASH_SOURCE[0]}")/module/go.mod")"
BUILDKIT_RELEASE="$BUILDKIT_VERSION-kadai.2"
BUILDKIT_CACHE="${KADAI_CACHE_DIR:-/var/cache/kadai}/buildkit-$BUILDKIT_RELEASE"
BUILDKITD="$BUILDKIT_CACHE/bin/buildkitd"
BUILDCTL="$BUILDKIT_CACHE/bin/buildctl"
BUILDKIT_STATE="${KADAI_BUILDKIT_STATE:-${KADAI_STATE_DIR:-/var/lib/kadai}/buildkit}"  # root: snapshots, cache, CNI leases
BUILDKIT_RUN="/run/kadai/buildkit"
BUILDKIT_SOCKET="$BUILDKIT_RUN/buildkitd.sock"
BUILDKIT_ADDRESS="unix://$BUILDKIT_SOCKET"
BUILDKIT_CONFIG="$BUILDKIT_STATE/buildkitd.toml"
BUILDKIT_CNI_CONFIG="$BUILDKIT_STATE/cni-kadai-builds.conflist"
BUILDKIT_PIDFILE="$BUILDKIT_RUN/buildkitd.pid"
BUILDKIT_LOG="${KADAI_LOG_DIR:-/var/log/kadai}/buildkitd.log"
# RUN steps join the build network's bridge (infra/packages/up makes it on kadai's engine) with
# addresses from the upper half of its subnet (Docker hands out the lower half from .2 upwards).
BUILD_BRIDGE=kd-builds
BUILD_SUBNET="${KADAI_BUILD_SUBNET:-10.203.0.0/24}"
BUILD_PREFIX="${BUILD_SUBNET%.*/*}"
# the registry builds pull from and push to (docker-compose.yaml's buildkitd names its registry service)
REGISTRY_ADDR="${KADAI_BUILDKIT_REGISTRY:-127.0.0.1:${KADAI_REGISTRY_PORT:-5000}}"
# Build steps' cgroups go under this parent by default (the grader passes a per-attempt one).
BUILDKIT_CGROUP_PARENT=/kadai-build
