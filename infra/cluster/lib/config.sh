# Writes the configuration files of containerd, CNI and the Kubernetes components into $STATE
# (sourced by `up`; rewritten on every run so a changed script takes effect).

# put FILE: writes stdin to FILE only if it differs, since kube-proxy exits when its config
# file changes and `up` must be able to run again next to a running cluster.
put() {
  local new; new=$(cat)
  [[ -f $1 && "$(cat "$1")" == "$new" ]] || printf '%s\n' "$new" > "$1"
}

write_configs() {
  mkdir -p "$STATE"/{containerd/certs.d,cni/net.d,cni/ipam,kubelet,volumes,logs} "$RUN"

  # Our own containerd, apart from Docker's: own socket, root and state, so `down` can stop it
  # and everything it started without touching anyone else's containers.
  put "$STATE/containerd/config.toml" <<TOML
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_unprivileged_ports = true
  # This machine's root lacks CAP_SYS_RESOURCE, so no process may lower its oom_score_adj
  # (the sandbox asks for -998): clamp to containerd's own score instead of failing every Pod.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    # hosts.toml per registry host (docker.io, registry.k8s.io, ...): see infra/images.
    config_path = "$STATE/containerd/certs.d"
TOML

  # One bridge for this node's Pods; no masquerading: Pods only ever talk to this machine.
  put "$STATE/cni/net.d/10-kadai.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "kadai",
  "plugins": [
    {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$STATE/cni/ipam",
              "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON

  put "$STATE/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 with cgroupfs: this kernel has no unified hierarchy and there is no systemd.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $STATE/pki/kubelet-serving.crt
tlsPrivateKeyFile: $STATE/pki/kubelet-serving.key
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
rotateCertificates: false
# A development machine's disk is shared with much else: evict only when it is really full.
evictionHard: {memory.available: 100Mi, nodefs.available: 3%, imagefs.available: 3%}
imageGCHighThresholdPercent: 97
imageGCLowThresholdPercent: 95
# One Pod's processes are bounded (a fork bomb in an attempt stops there; the kubelet's default,
# unlimited, lets one Pod take the machine's whole pid table, 32768 here). 1024 as kadai's Docker
# builds (KADAI_DOCKER_BUILD_PIDS); no lab of the course runs more than a handful of processes per Pod.
podPidsLimit: 1024
YAML

  put "$STATE/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $CLUSTER_CIDR
hostnameOverride: $NODE_NAME
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave the host's conntrack sysctls alone (shared machine; some are read-only in containers).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML

  # Ordinary Pods go to the real node; the kwok nodes (label type=kwok) only get Pods that ask
  # for them (nodeSelector / affinity), which is what the scheduling labs do.
  put "$STATE/scheduler.yaml" <<YAML
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: $STATE/scheduler.kubeconfig}
leaderElection: {leaderElect: false}
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      enabled: [{name: NodeAffinity, weight: 50}]
  pluginConfig:
  - name: NodeAffinity
    args:
      addedAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          preference: {matchExpressions: [{key: type, operator: NotIn, values: [kwok]}]}
YAML

  # Attempt Pods are its only clients. Cluster names only: no `forward` (Pods reach no other network,
  # and forwarded queries would be a way out, DNS exfiltration); no reverse zones (a PTR sweep of the
  # Pod and Service ranges would list every attempt's namespace and Services); `pods verified`
  # answers a Pod A record only for a Pod that exists in that namespace. Every other name: NXDOMAIN.
  put "$STATE/Corefile" <<COREFILE
cluster.local:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local {
        kubeconfig $STATE/addons.kubeconfig kadai
        pods verified
        ttl 30
    }
    cache 30
}
.:53 {
    bind $NODE_IP
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
COREFILE
}
