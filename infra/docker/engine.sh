# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
# Where kadai's own Docker engine lives. Sourced by infra/docker/{up,down}, infra/images/lib.sh and
# infra/lib/common.sh; it defines settings only, no side effects. kadai never uses the machine's
# own Docker (/var/run/docker.sock, /etc/docker, docker0): its engine has a socket, data-root,
# exec-root, config file and bridge of its own.
KADAI_STATE_DIR="${KADAI_STATE_DIR:-/var/lib/kadai}"
ENGINE_SOCKET="${KADAI_ENGINE_SOCKET:-/run/kadai/docker.sock}"
ENGINE_RUN_DIR="${KADAI_ENGINE_RUN_DIR:-/run/kadai/engine}"           # exec-root, pidfile
ENGINE_DATA_DIR="${KADAI_ENGINE_DATA_DIR:-$KADAI_STATE_DIR/engine}"     # data-root: a btrfs mount
ENGINE_DISK_IMAGE="${KADAI_ENGINE_DISK_IMAGE:-$KADAI_STATE_DIR/engine.btrfs}"
ENGINE_DISK_GB="${KADAI_ENGINE_DISK_GB:-40}"                           # sparse: grows as used
ENGINE_CONFIG="${KADAI_ENGINE_CONFIG:-$KADAI_STATE_DIR/engine-daemon.json}"
ENGINE_PIDFILE="$ENGINE_RUN_DIR/dockerd.pid"
ENGINE_LOG="${KADAI_LOG_DIR:-/var/log/kadai}/engine.log"
# The default bridge is a kd- interface, so the INPUT rules kadai installs for kd-* bridges (no way
# from a container to the host's own services) cover it too; networks kadai creates get /24s from
# their own pool, away from Docker's default 172.17-31 ranges another daemon on the machine uses and
# from the cluster's 10.244/16 and 10.96/16.
ENGINE_BRIDGE="${KADAI_ENGINE_BRIDGE:-kd-engine}"
ENGINE_BRIDGE_CIDR="${KADAI_ENGINE_BRIDGE_CIDR:-10.201.0.1/24}"
ENGINE_POOL="${KADAI_ENGINE_POOL:-10.202.0.0/16}"
ENGINE_REGISTRY="127.0.0.1:${KADAI_REGISTRY_PORT:-5000}"
