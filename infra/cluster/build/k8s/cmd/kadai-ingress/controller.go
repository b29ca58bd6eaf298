package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

const (
	byService = "byService"
	byPodIP   = "byPodIP"
)

type controller struct {
	cs        kubernetes.Interface
	ingresses networkinglisters.IngressLister
	classes   networkinglisters.IngressClassLister
	services  corelisters.ServiceLister
	secrets   corelisters.SecretLister
	slices    cache.Indexer
	pods      cache.Indexer

	stale      atomic.Bool
	mu         sync.Mutex
	table      *routes
	certs      *certificates
	roundRobin atomic.Uint64
}

// newController watches the cluster of the kubeconfig; the factory's informers start with it.
func newController(kubeconfig string) (*controller, informers.SharedInformerFactory, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	f := informers.NewSharedInformerFactory(cs, 10*time.Minute)
	c := &controller{
		cs:        cs,
		ingresses: f.Networking().V1().Ingresses().Lister(),
		classes:   f.Networking().V1().IngressClasses().Lister(),
		services:  f.Core().V1().Services().Lister(),
		secrets:   f.Core().V1().Secrets().Lister(),
		table:     buildRoutes(nil),
		certs:     &certificates{},
	}
	c.stale.Store(true)
	slices := f.Discovery().V1().EndpointSlices().Informer()
	if err := slices.AddIndexers(cache.Indexers{byService: func(obj any) ([]string, error) {
		s := obj.(*discoveryv1.EndpointSlice)
		return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
	}}); err != nil {
		return nil, nil, err
	}
	c.slices = slices.GetIndexer()
	pods := f.Core().V1().Pods().Informer()
	if err := pods.AddIndexers(cache.Indexers{byPodIP: func(obj any) ([]string, error) {
		p := obj.(*corev1.Pod)
		var keys []string
		for _, ip := range p.Status.PodIPs {
			keys = append(keys, p.Namespace+"/"+ip.IP)
		}
		return keys, nil
	}}); err != nil {
		return nil, nil, err
	}
	c.pods = pods.GetIndexer()
	markStale := func() { c.stale.Store(true) }
	for _, inf := range []cache.SharedIndexInformer{
		f.Networking().V1().Ingresses().Informer(), f.Networking().V1().IngressClasses().Informer(),
		f.Core().V1().Secrets().Informer(),
	} {
		if err := onChange(inf, markStale); err != nil {
			return nil, nil, err
		}
	}
	return c, f, nil
}

// current gives the routing table and certificates, rebuilt first when a watched object changed.
func (c *controller) current() (*routes, *certificates) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stale.Swap(false) {
		served, err := c.served()
		if err != nil {
			log.Printf("listing Ingresses: %v", err)
			c.stale.Store(true)
		} else {
			c.table = buildRoutes(served)
			c.certs = loadCertificates(served, c.secrets)
		}
	}
	return c.table, c.certs
}

// served lists the Ingresses of a class this controller serves (no class: the default class, if
// it is one of ours).
func (c *controller) served() ([]*networkingv1.Ingress, error) {
	classes, err := c.classes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	ours, defaultIsOurs := map[string]bool{}, false
	for _, cl := range classes {
		if cl.Spec.Controller == controllerName {
			ours[cl.Name] = true
			defaultIsOurs = defaultIsOurs || cl.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true"
		}
	}
	all, err := c.ingresses.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var served []*networkingv1.Ingress
	for _, in := range all {
		if name := in.Spec.IngressClassName; (name != nil && ours[*name]) || (name == nil && defaultIsOurs) {
			served = append(served, in)
		}
	}
	return served, nil
}

// routeError is why a request found no endpoint, and the status it is answered with.
type routeError struct {
	status int
	reason string
}

func (e *routeError) Error() string { return e.reason }

// endpoint picks a ready endpoint (address:port) of the backend's Service port, round robin.
func (c *controller) endpoint(b *backend) (string, error) {
	svc, err := c.services.Services(b.namespace).Get(b.service)
	if err != nil {
		return "", &routeError{503, fmt.Sprintf("Service %s/%s: %v", b.namespace, b.service, err)}
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		// as if the rule were not there: ExternalName is never proxied (see main.go)
		return "", &routeError{404, fmt.Sprintf("Service %s/%s is ExternalName: not routed", b.namespace, b.service)}
	}
	var port *corev1.ServicePort
	for i, p := range svc.Spec.Ports {
		if (b.port.Name != "" && p.Name == b.port.Name) || (b.port.Name == "" && p.Port == b.port.Number) {
			port = &svc.Spec.Ports[i]
			break
		}
	}
	if port == nil {
		return "", &routeError{503, fmt.Sprintf("Service %s/%s has no port %s", b.namespace, b.service, portText(b.port))}
	}
	objs, err := c.slices.ByIndex(byService, b.namespace+"/"+b.service)
	if err != nil {
		return "", &routeError{503, err.Error()}
	}
	var ready []string
	for _, obj := range objs {
		s := obj.(*discoveryv1.EndpointSlice)
		if s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		var target int32
		for _, p := range s.Ports {
			if p.Port != nil && ptr.Deref(p.Name, "") == port.Name {
				target = *p.Port
			}
		}
		if target == 0 {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				for _, a := range e.Addresses {
					if c.isPodOf(b.namespace, a) {
						ready = append(ready, net.JoinHostPort(a, strconv.Itoa(int(target))))
					}
				}
			}
		}
	}
	if len(ready) == 0 {
		return "", &routeError{503, fmt.Sprintf("Service %s/%s has no ready endpoint", b.namespace, b.service)}
	}
	return ready[c.roundRobin.Add(1)%uint64(len(ready))], nil
}

// isPodOf: the address is a Pod's of the namespace. EndpointSlices of a Service without a selector
// are written by hand, and the proxy runs on the host outside NetworkPolicy: an address there could
// be the node's, another namespace's Pod or a host service. (A hostNetwork Pod has the node's
// address; attempts may not create one, an operator's deployment, as kadai's chart, may.)
func (c *controller) isPodOf(namespace, address string) bool {
	objs, _ := c.pods.ByIndex(byPodIP, namespace+"/"+address)
	for _, obj := range objs {
		if p := obj.(*corev1.Pod); p.DeletionTimestamp == nil {
			return true
		}
	}
	return false
}

func portText(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

// certificate chooses the certificate for a TLS handshake by its SNI name.
func (c *controller) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	_, certs := c.current()
	return certs.forName(hello.ServerName), nil
}
