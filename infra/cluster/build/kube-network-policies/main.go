// kube-network-policies for the local cluster: the upstream NetworkPolicy controller
// (sigs.k8s.io/kube-network-policies) run with a kubeconfig instead of an in-cluster service
// account, since it runs on the host next to the other add-ons.
//
// Upstream sends the first packet of each connection to NFQUEUE with nftables' `queue`
// statement, which this kernel lacks (no nft_queue). The controller's rule sync therefore
// fails (it is retried and logged, harmless: the whole nftables batch is refused, nothing is
// half-installed) and `infra/cluster/up` feeds the same queue with iptables' NFQUEUE target
// instead (chain KADAI-POD-NETPOL in mangle FORWARD, infra/cluster/lib/firewall.sh). The
// evaluator — the part that reads the queue and decides by the NetworkPolicies — runs unchanged.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
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
		factory.Networking().V1().NetworkPolicies(), factory.Core().V1().Namespaces(),
		factory.Core().V1().Pods(), nil, nil, nil, nil,
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
