package main

import (
	"context"
	"log"
	"reflect"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// publishStatus keeps the address of the LoadBalancer Service (namespace/name) in the status of
// every served Ingress, as a cloud load balancer controller does. It runs for good.
func (c *controller) publishStatus(ctx context.Context, service string) {
	ns, name, _ := strings.Cut(service, "/")
	for ; ; time.Sleep(2 * time.Second) {
		svc, err := c.services.Services(ns).Get(name)
		if err != nil {
			log.Printf("published Service %s: %v", service, err)
			continue
		}
		var addrs []networkingv1.IngressLoadBalancerIngress
		for _, a := range svc.Status.LoadBalancer.Ingress {
			addrs = append(addrs, networkingv1.IngressLoadBalancerIngress{IP: a.IP, Hostname: a.Hostname})
		}
		if len(addrs) == 0 {
			continue // no address given yet
		}
		served, err := c.served()
		if err != nil {
			log.Printf("listing Ingresses: %v", err)
			continue
		}
		for _, in := range served {
			if reflect.DeepEqual(in.Status.LoadBalancer.Ingress, addrs) {
				continue
			}
			update := in.DeepCopy()
			update.Status.LoadBalancer.Ingress = addrs
			if _, err := c.cs.NetworkingV1().Ingresses(in.Namespace).UpdateStatus(ctx, update, metav1.UpdateOptions{}); err != nil {
				log.Printf("Ingress %s/%s: status: %v", in.Namespace, in.Name, err)
			}
		}
	}
}
