# The Pod network's firewall (sourced by `up`, which calls pod_firewall, and `down`, which calls
# remove_cluster_chains).
#
# - KADAI-POD-NETPOL (mangle FORWARD): NetworkPolicy. The first packet of each new connection to a
#   Pod from a Pod goes to NFQUEUE $NETPOL_QUEUE, where kube-network-policies decides by the
#   NetworkPolicies (accept or drop); later packets follow conntrack, replies are never queued.
#   Packets between Pods cross FORWARD either bridged (br_netfilter) or routed back onto the
#   bridge after kube-proxy's DNAT of a Service, NodePort or LoadBalancer address; both are
#   `-i $BRIDGE -o $BRIDGE` with the real Pod as destination. mangle, not filter: kube-proxy puts
#   its own jumps above ours in filter FORWARD, and KUBE-FORWARD accepts what it marked for
#   masquerading (any LoadBalancer address, hairpin) before our chain would see it; mangle
#   FORWARD runs before filter and before the masquerade (POSTROUTING), so the evaluator always
#   sees the real source Pod. There is no queue bypass: while the evaluator is down (it restarts
#   within 2 s) new Pod-to-Pod connections fail (closed, not open).
# - KADAI-POD-FORWARD (filter FORWARD): Pods talk only to Pods on this node (what the evaluator
#   accepted). Pods reach nothing else through this host (there is no masquerading anyway), and
#   nothing else (e.g. a Docker grader's attempt network) opens connections into Pods.
# - KADAI-POD-INPUT: Pods reach the host itself only for the cluster DNS (CoreDNS on NODE_IP:53) and
#   the ingress controller (kadai-ingress on NODE_IP:8000/8443, behind the kadai-ingress LoadBalancer
#   Service). Everything else — the API server (also through kubernetes.default's ClusterIP),
#   kubelet, etcd, metrics-server, PostgreSQL, Redis, the registry, kadai's API, whatever listens
#   on any host address — is refused. Replies to connections the host opened (kubelet probes,
#   kadai-ingress, the API server's proxy) pass as ESTABLISHED. Traffic the host opens into Pods
#   (kadai-ingress, probes) is not FORWARDed, so NetworkPolicy does not apply to it (as upstream
#   exempts the node).
# - IPv6: Pods have no IPv6 address of their own, but link-local addresses exist on the bridge:
#   nothing new from the bridge goes anywhere over IPv6.
# Chains are declared through iptables-restore --noflush, which replaces each one atomically, so
# running `up` again never leaves a moment without rules. Every chain is named KADAI-POD*: kadai's
# Docker engine has KADAI-* chains of its own, which `down` must not touch.
NETPOL_QUEUE=100
INGRESS_PORTS=8000,8443

pod_firewall() {
  iptables-restore --noflush <<RULES
*filter
:KADAI-POD-FORWARD - [0:0]
:KADAI-POD-INPUT - [0:0]
-A KADAI-POD-FORWARD -i $BRIDGE -o $BRIDGE -d $POD_SUBNET -j ACCEPT
-A KADAI-POD-FORWARD -o $BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KADAI-POD-FORWARD -i $BRIDGE -m comment --comment "Pods reach only Pods" -j REJECT
-A KADAI-POD-FORWARD -o $BRIDGE -m comment --comment "nothing else opens connections into Pods" -j DROP
-A KADAI-POD-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KADAI-POD-INPUT -d $NODE_IP/32 -p udp --dport 53 -m comment --comment "cluster DNS" -j ACCEPT
-A KADAI-POD-INPUT -d $NODE_IP/32 -p tcp --dport 53 -m comment --comment "cluster DNS" -j ACCEPT
-A KADAI-POD-INPUT -d $NODE_IP/32 -p tcp -m multiport --dports $INGRESS_PORTS -m comment --comment "ingress controller" -j ACCEPT
-A KADAI-POD-INPUT -p tcp -m comment --comment "no host service for Pods" -j REJECT --reject-with tcp-reset
-A KADAI-POD-INPUT -m comment --comment "no host service for Pods" -j REJECT
COMMIT
RULES
  iptables-restore --noflush <<RULES
*mangle
:KADAI-POD-NETPOL - [0:0]
-A KADAI-POD-NETPOL -d $POD_SUBNET -m conntrack --ctstate NEW -m comment --comment "NetworkPolicy verdict: kube-network-policies" -j NFQUEUE --queue-num $NETPOL_QUEUE
COMMIT
RULES
  iptables -t mangle -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j KADAI-POD-NETPOL 2>/dev/null ||
    iptables -t mangle -I FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -j KADAI-POD-NETPOL
  iptables -C FORWARD -j KADAI-POD-FORWARD 2>/dev/null || iptables -I FORWARD 1 -j KADAI-POD-FORWARD
  iptables -C INPUT -i "$BRIDGE" -j KADAI-POD-INPUT 2>/dev/null || iptables -I INPUT 1 -i "$BRIDGE" -j KADAI-POD-INPUT

  ip6tables-restore --noflush <<RULES
*filter
:KADAI-POD6 - [0:0]
-A KADAI-POD6 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KADAI-POD6 -p ipv6-icmp -j ACCEPT
-A KADAI-POD6 -j DROP
COMMIT
RULES
  local chain
  for chain in INPUT FORWARD; do
    ip6tables -C "$chain" -i "$BRIDGE" -j KADAI-POD6 2>/dev/null || ip6tables -I "$chain" 1 -i "$BRIDGE" -j KADAI-POD6
  done
}

# Every KUBE-/CNI-/KADAI-POD chain and the rules jumping to them, for IPv4 and IPv6: what kube-proxy's
# own cleanup leaves (kubelet's canaries), portmap's hostport chains and pod_firewall's. Only
# KADAI-POD*: the other KADAI- chains are kadai's Docker engine's (infra/docker), which runs on
# without the cluster. (grep finding nothing is fine.)
remove_cluster_chains() {
  local ipt t c rule
  for ipt in iptables ip6tables; do
    for t in filter nat mangle; do
      { "$ipt-save" -t "$t" 2>/dev/null | grep -E '^-A [A-Z]+ .*-j (KUBE-|CNI-|KADAI-POD)' || true; } | sed 's/^-A/-D/' |
        while read -r rule; do eval "$ipt -t $t $rule" 2>/dev/null || true; done
      for c in $(cluster_chains "$ipt" "$t"); do "$ipt" -t "$t" -F "$c" 2>/dev/null || true; done
      for c in $(cluster_chains "$ipt" "$t"); do "$ipt" -t "$t" -X "$c" 2>/dev/null || true; done
    done
  done
}
cluster_chains() { "$1-save" -t "$2" 2>/dev/null | grep -oE '^:(KUBE-|CNI-|KADAI-POD)[^ ]*' | tr -d : || true; }
