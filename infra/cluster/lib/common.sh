# Shared by up/down/status: fixed addresses of the local cluster and process helpers.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/versions.sh"
ROOT=$(cd "$here/.." && pwd)

NODE_NAME=kadai-control-plane
BRIDGE=kadai0
# The node's address is the Pod bridge's gateway: it exists on every machine, never changes with
# the host's network, and Pods reach it directly (CoreDNS, metrics-server and kadai-ingress listen there).
NODE_IP=10.244.0.1
POD_SUBNET=10.244.0.0/24       # this node's Pods (host-local IPAM)
CLUSTER_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
LB_CIDR=10.250.0.0/24          # LoadBalancer addresses (kadai-cluster-controller)
FAKE_CIDR=10.245.0.0/16        # kwok's fake Pod and node addresses: never routed off the machine
RUN=/run/kadai-cluster         # sockets and pids (tmpfs: gone after a reboot, as the processes are)
CONTAINERD_SOCK=$RUN/containerd.sock
export PATH=$BIN:/usr/local/go/bin:/usr/sbin:/sbin:$PATH
KUBECONFIG_ADMIN=$STATE/admin.kubeconfig

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
kc() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# Every process `up` starts runs under a small restart loop in its own session, recorded as
# $RUN/NAME.pid (the loop's pid = the session's process group), so `down` stops exactly those and
# a component that exits (kube-proxy does when its config file changes; anything may crash) comes
# back after 2 s, as a static Pod would.
# A pid file outlives its process after a crash or reboot, and the pid may be reused by then:
# it counts only while that pid is still our loop for NAME.
running() {
  local p; p=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
  tr '\0' '\n' 2>/dev/null < "/proc/$p/cmdline" | sed -n 4p | grep -qx -- "$1"
}

start() { # NAME command... (output to $STATE/logs/NAME.log)
  local name=$1; shift
  if running "$name"; then return 0; fi
  mkdir -p "$STATE/logs" "$RUN"
  setsid bash -c 'while :; do "$@"; echo "[kadai] $0 exited with status $?; restarting in 2s"; sleep 2; done' \
    "$name" "$@" >>"$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  log "started $name (pid $!)"
}

stop() { # NAME...: TERM to each one's process group at once, then KILL what still runs after 15 s
  local name p i pids=()
  for name in "$@"; do
    p=$(cat "$RUN/$name.pid" 2>/dev/null) || continue
    running "$name" && kill -TERM -- "-$p" 2>/dev/null && pids+=("$p") && log "stopping $name"
    rm -f "$RUN/$name.pid"
  done
  for p in "${pids[@]}"; do
    for ((i = 0; i < 150; i++)); do kill -0 -- "-$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$p" 2>/dev/null || true
  done
}

wait_for() { # SECONDS DESCRIPTION command...
  local t=$1 what=$2 i; shift 2
  for ((i = 0; i < t * 2; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "timed out waiting for $what"; return 1
}
