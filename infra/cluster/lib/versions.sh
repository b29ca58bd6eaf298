# Versions of everything the local cluster builds. The cache folder is keyed by these, so
# changing one makes `up` rebuild only what changed.
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.4          # the etcd Kubernetes v1.34.4 is released against
COREDNS_VERSION=v1.12.4
METRICS_SERVER_VERSION=v0.8.0
KWOK_VERSION=v0.7.0
KUBE_NETWORK_POLICIES_VERSION=v0.8.0   # keep in step with build/kube-network-policies/go.mod

# Where build outputs and cluster state live: outside the repo, keyed by version.
KADAI_CACHE_DIR=${KADAI_CACHE_DIR:-/var/cache/kadai/cluster}
CACHE=$KADAI_CACHE_DIR/$K8S_VERSION
BIN=$CACHE/bin
# Runtime state (certs, etcd data, logs, pids) is per machine, not per version.
STATE=${KADAI_CLUSTER_STATE:-/var/lib/kadai/cluster}
CRICTL_VERSION=v1.34.0
# The sandbox image Kubernetes v1.34 pairs with; built here from pause.c.
PAUSE_VERSION=3.10.1
PAUSE_IMAGE=registry.k8s.io/pause:$PAUSE_VERSION
# Go modules are downloaded into the cluster cache too, so a cold build is cold all the way
# (module downloads included) and never disturbs the machine's shared module cache.
export GOMODCACHE=${KADAI_GOMODCACHE:-$KADAI_CACHE_DIR/gomodcache}
