// kube-network-policies for the local cluster: the upstream NetworkPolicy controller
// (sigs.k8s.io/kube-network-policies) run with a kubeconfig instead of an in-cluster service
// account, since it runs on the host next to the other add-ons.
//
// Upstream sends the first packet of each connection to NFQUEUE with nftables' `queue`
// statement, which this kernel lacks (no nft_queue). `infra/cluster/up` feeds the same queue
// with iptables' NFQUEUE target instead (chain KADAI-POD-NETPOL in mangle FORWARD,
// infra/cluster/lib/firewall.sh). The evaluator — the part that reads the queue and decides by
// the NetworkPolicies — is upstream's; this wrapper changes only what it is fed: the informers
// (no rule sync, below) and the by-address Pod lookup (liveFirst, below).
//
// Upstream's nftables rule sync must not run here. It is triggered by every change of a Pod or
// NetworkPolicy (~9 times a second while kadai grades) and each time adds its table with a
// postrouting base chain; the kernel refuses the batch (no `queue` expression) and unregisters
// the chain's hook, and unregistering any hook drops every packet waiting in NFQUEUE
// (nf_queue_nf_hook_drop). Connections that had just sent their first packet lost it: the
// evaluator's verdict then met "netlink receive: no such file or directory" (ENOENT, the packet
// was gone), and a SYN lost again and again stalled Pod-to-Pod connections for tens of seconds
// on a loaded machine. Only the informers' event handlers trigger the sync, so they are not
// registered (quietInformer); the evaluator reads the same caches through their listers and
// indexers. One sync still runs when the controller starts, before it reads the queue.
//
// The evaluator finds a packet's Pods by address, and when two Pods hold one address it takes the
// first Running one. An address is handed out again as soon as it is free (host-local IPAM, one
// /24): a Pod being deleted is still Running in the API while a new Pod already has its address,
// and whichever came first decided the verdict — a new attempt's Pod judged by the policies of an
// attempt being torn down, let in or kept out wrongly (seen: another namespace's probe let in, an
// own-namespace connection dropped). So where a live Pod shares an address with Pods being deleted
// or ended, only the live one is found (liveFirst). A Pod being deleted whose containers still run
// keeps being found while no live Pod holds its address: its policies apply while it shuts down
// (kube-proxy may send it new connections until its next sync, and its own connections are judged
// as its namespace's). One with no container running holds nothing: its address may already be a
// new Pod's that the API does not show yet, which must not borrow the old Pod's rights.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	networkinginformers "k8s.io/client-go/informers/networking/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	node := flag.String("hostname-override", "", "this node's name")
	queueID := flag.Int("nfqueue-id", 100, "the NFQUEUE number the iptables rules send packets to")
	klog.InitFlags(nil)
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Fatalf("kubeconfig: %v", err)
	}
	config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	config.ContentType = "application/vnd.kubernetes.protobuf"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Fatalf("client: %v", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	controller, err := networkpolicy.NewController(client,
		quietNetworkPolicies{factory.Networking().V1().NetworkPolicies()}, factory.Core().V1().Namespaces(),
		quietPods{factory.Core().V1().Pods()}, nil, nil, nil, nil,
		networkpolicy.Config{
			QueueID:  *queueID,
			NodeName: *node,
			// Fail closed: a packet the evaluator cannot parse is dropped.
			FailOpen: false,
		})
	if err != nil {
		klog.Fatalf("controller: %v", err)
	}
	factory.Start(ctx.Done())
	if err := controller.Run(ctx); err != nil {
		klog.Errorf("controller stopped: %v", err)
		os.Exit(1)
	}
}

// quietInformer is a shared informer on which event handlers are not registered: the controller's
// handlers only queue the nftables sync (see the package comment). Indexers, transforms, listers
// and HasSynced pass through.
type quietInformer struct{ cache.SharedIndexInformer }

func (quietInformer) AddEventHandler(cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	return nil, nil
}

type quietPods struct{ coreinformers.PodInformer }

func (p quietPods) Informer() cache.SharedIndexInformer {
	return podsByLiveAddress{quietInformer{p.PodInformer.Informer()}}
}

// podsByLiveAddress hands the controller an indexer that finds live Pods first (liveFirst).
type podsByLiveAddress struct{ quietInformer }

func (p podsByLiveAddress) GetIndexer() cache.Indexer {
	return liveFirst{p.quietInformer.GetIndexer()}
}

// liveFirst answers a lookup by address with the Pod that holds the address now, as far as the API
// says: the live ones if there are any; else the Pods being deleted whose containers still run
// (they serve their grace period); a Pod ended, or being deleted with no container running, holds
// nothing. With none left the address is unknown, as a new Pod's is until its address is in the
// API: it is let in only where no policy guards the destination, and no attempt Pod is such a
// destination. (Judged as the old Pod instead, a new Pod whose address the API does not show yet
// would borrow the old Pod's namespace's rights.)
type liveFirst struct{ cache.Indexer }

func (i liveFirst) ByIndex(indexName, value string) ([]interface{}, error) {
	found, err := i.Indexer.ByIndex(indexName, value)
	if err != nil || len(found) == 0 {
		return found, err
	}
	var live, leaving []interface{}
	for _, obj := range found {
		pod, ok := obj.(*v1.Pod)
		switch {
		case !ok || pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed:
		case pod.DeletionTimestamp == nil:
			live = append(live, obj)
		case anyContainerRunning(pod):
			leaving = append(leaving, obj)
		}
	}
	if len(live) > 0 {
		return live, nil
	}
	return leaving, nil
}

// anyContainerRunning counts every kind of container: an init container or sidecar (an init
// container that restarts) or an ephemeral one may outlive the main containers.
func anyContainerRunning(pod *v1.Pod) bool {
	for _, statuses := range [][]v1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, status := range statuses {
			if status.State.Running != nil {
				return true
			}
		}
	}
	return false
}

type quietNetworkPolicies struct {
	networkinginformers.NetworkPolicyInformer
}

func (p quietNetworkPolicies) Informer() cache.SharedIndexInformer {
	return quietInformer{p.NetworkPolicyInformer.Informer()}
}
