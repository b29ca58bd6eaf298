package main

import (
	"crypto/tls"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type rule struct {
	host, path string
	pathType   networkingv1.PathType
	service    string
}

func ingress(name string, age time.Duration, fallback string, rules ...rule) *networkingv1.Ingress {
	in := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name,
		CreationTimestamp: metav1.NewTime(time.Unix(1_700_000_000, 0).Add(-age))}}
	if fallback != "" {
		in.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: fallback}}
	}
	for _, r := range rules {
		pt := r.pathType
		in.Spec.Rules = append(in.Spec.Rules, networkingv1.IngressRule{Host: r.host, IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: r.path, PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: r.service,
					Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}})
	}
	return in
}

const (
	prefix = networkingv1.PathTypePrefix
	exact  = networkingv1.PathTypeExact
	impl   = networkingv1.PathTypeImplementationSpecific
)

func TestMatch(t *testing.T) {
	table := buildRoutes([]*networkingv1.Ingress{
		ingress("course", time.Hour, "",
			rule{"", "/h1", prefix, "h1"}, rule{"", "/h2/", prefix, "h2"}, rule{"", "/h1/exact", exact, "h1-exact"},
			rule{"", "/h1/exact", prefix, "h1-exact-prefix"}, rule{"", "/legacy", impl, "legacy"}),
		ingress("hosts", time.Hour, "",
			rule{"Shop.Example.com", "/", prefix, "shop"}, rule{"*.example.com", "/", prefix, "any-sub"},
			rule{"api.example.com", "/v1", prefix, "api"},
			rule{"api.test", "/v1", prefix, "api-test"}),
		// newer, claiming a path the older Ingress routes already: the older keeps it
		ingress("late", time.Minute, "late-fallback", rule{"", "/h1", prefix, "late"}),
		ingress("early-fallback", 2*time.Hour, "first-fallback"),
	})
	for _, c := range []struct{ host, path, want string }{
		{"x.test", "/h1", "h1"},
		{"x.test", "/h1/", "h1"},
		{"x.test", "/h1/deeper", "h1"},
		{"x.test", "/h1x", "first-fallback"}, // Prefix matches whole path elements only
		{"x.test", "/h2", "h2"},              // a Prefix pattern's trailing '/' is ignored
		{"x.test", "/h2/a", "h2"},
		{"x.test", "/h1/exact", "h1-exact"}, // Exact before Prefix for the same path
		{"x.test", "/h1/exact/", "h1-exact-prefix"},
		{"x.test", "/legacy/a", "legacy"},
		{"shop.example.com", "/anything", "shop"}, // hosts are case-insensitive
		{"SHOP.example.com", "/", "shop"},
		{"cart.example.com", "/", "any-sub"},          // a wildcard covers one label
		{"a.cart.example.com", "/", "first-fallback"}, // ... not two
		{"example.com", "/", "first-fallback"},        // ... nor none
		{"api.example.com", "/v1/users", "api"},
		{"api.example.com", "/h1", "any-sub"}, // a host's rules, then a wildcard's,
		{"api.test", "/h1", "h1"},             // then the host-less ones
		{"x.test", "/", "first-fallback"},
		{"x.test", "", "first-fallback"},
	} {
		got := table.match(c.host, c.path)
		if got == nil || got.service != c.want {
			t.Errorf("%s%s: got %v, want %s", c.host, c.path, got, c.want)
		}
	}
}

func TestNoMatchWithoutDefaultBackend(t *testing.T) {
	table := buildRoutes([]*networkingv1.Ingress{ingress("only", 0, "", rule{"a.test", "/app", prefix, "app"})})
	for _, c := range [][2]string{{"a.test", "/"}, {"b.test", "/app"}, {"a.test", "/application"}} {
		if got := table.match(c[0], c[1]); got != nil {
			t.Errorf("%s%s: got %v, want no route", c[0], c[1], got)
		}
	}
	if got := buildRoutes(nil).match("a.test", "/"); got != nil {
		t.Errorf("empty table matched %v", got)
	}
}

func TestCertificatesBySNI(t *testing.T) {
	shop, wild, late := selfSigned(), selfSigned(), selfSigned()
	cs := &certificates{byName: map[string]*tls.Certificate{}, byWildcard: map[string]*tls.Certificate{}}
	cs.add("shop.example.com", shop)
	cs.add("*.example.com", wild)
	cs.add("shop.example.com", late) // a later Ingress does not take a name over
	for _, c := range []struct {
		name string
		want *tls.Certificate
	}{
		{"shop.example.com", shop}, {"SHOP.example.com", shop}, {"cart.example.com", wild},
		{"a.cart.example.com", fallbackCertificate}, {"", fallbackCertificate}, {"other.test", fallbackCertificate},
	} {
		if got := cs.forName(c.name); got != c.want {
			t.Errorf("%q: wrong certificate", c.name)
		}
	}
}
