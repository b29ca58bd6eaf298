// Command kadai-ingress is the local cluster's Ingress controller: a reverse proxy on the node that
// serves the IngressClasses whose controller is kadai.dev/ingress (the default class `kadai`, and
// `alb` in place of EKS's AWS Load Balancer Controller). It stands in for ingress-nginx or
// Traefik, which it replaced: Traefik's build (its providers, ACME DNS clients, plugin
// interpreter) took ~7 minutes of a cold CI run, while this builds in seconds from packages the
// cluster's own build has compiled.
//
// What it does, as the Ingress API defines it:
//   - routes by host (exact, then `*.` one label deeper, then host-less rules) and path (the
//     longest first, Exact before Prefix; Prefix by whole path elements), then spec.defaultBackend;
//     404 when nothing matches, 503 when the Service has no ready endpoint;
//   - sends to the ready endpoints of the Service port (EndpointSlices, round robin) that are Pods
//     of the Ingress's namespace, never to an ExternalName Service: the proxy runs on the host, outside NetworkPolicy, so a name pointing
//     at another attempt's Pod or a host service would be a way around an attempt's policies;
//   - serves HTTPS on its second address with the certificate of spec.tls matching the SNI name
//     (kubernetes.io/tls Secrets of the Ingress's namespace), a self-signed one otherwise;
//   - publishes the address of its LoadBalancer Service in each served Ingress's status.
//
// It watches with informers, so a new Ingress routes as soon as the API server has it.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"

	"k8s.io/client-go/tools/cache"
)

const controllerName = "kadai.dev/ingress"

var (
	kubeconfig  = flag.String("kubeconfig", "", "kubeconfig of the cluster")
	httpAddr    = flag.String("http", "10.244.0.1:8000", "address serving HTTP")
	httpsAddr   = flag.String("https", "10.244.0.1:8443", "address serving HTTPS")
	healthAddr  = flag.String("health", "127.0.0.1:9000", "address of /ping (200 once the caches are filled)")
	publishedLB = flag.String("published-service", "kube-system/kadai-ingress", "LoadBalancer Service whose address Ingresses get")
)

func main() {
	flag.Parse()
	c, factory, err := newController(*kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	factory.Start(ctx.Done())
	synced := make(chan struct{})
	go func() {
		for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
			if !ok {
				log.Fatalf("cache of %v not filled", typ)
			}
		}
		close(synced)
		log.Printf("watching; serving %s and %s", *httpAddr, *httpsAddr)
		c.publishStatus(ctx, *publishedLB)
	}()
	go serveHealth(*healthAddr, synced)
	go func() { log.Fatal(c.serveHTTPS(*httpsAddr)) }()
	log.Fatal(c.serveHTTP(*httpAddr))
}

func serveHealth(addr string, synced <-chan struct{}) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ping", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-synced:
			_, _ = w.Write([]byte("OK"))
		default:
			http.Error(w, "caches not filled yet", http.StatusServiceUnavailable)
		}
	})
	log.Fatal(http.ListenAndServe(addr, mux))
}

// onChange marks the table stale on any change of the watched kind.
func onChange(inf cache.SharedIndexInformer, stale func()) error {
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { stale() },
		UpdateFunc: func(any, any) { stale() },
		DeleteFunc: func(any) { stale() },
	})
	return err
}
