package main

import (
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// backend is where a matched request goes: a Service port of the Ingress's own namespace (an
// Ingress can name no other), or nothing.
type backend struct {
	namespace, service string
	port               networkingv1.ServiceBackendPort
	ingress            string // namespace/name, for logs
}

type pathRoute struct {
	path    string // Prefix patterns without their trailing '/', except "/" itself
	exact   bool
	backend backend
}

// routes is the routing table of every Ingress this controller serves.
type routes struct {
	byHost     map[string][]pathRoute // exact host
	byWildcard map[string][]pathRoute // "example.com" for a rule on "*.example.com"
	anyHost    []pathRoute            // rules without a host
	fallback   *backend               // the oldest Ingress's spec.defaultBackend
}

// buildRoutes merges the rules of the Ingresses served, in precedence order per host: the longest
// path first, Exact before Prefix for the same path (the Ingress API's rule), then the oldest
// Ingress (a later one cannot take over a path another already routes; ingress-nginx's rule).
func buildRoutes(ingresses []*networkingv1.Ingress) *routes {
	ings := append([]*networkingv1.Ingress(nil), ingresses...)
	sort.SliceStable(ings, func(i, j int) bool { return older(ings[i], ings[j]) })
	r := &routes{byHost: map[string][]pathRoute{}, byWildcard: map[string][]pathRoute{}}
	for _, in := range ings {
		id := in.Namespace + "/" + in.Name
		if b := in.Spec.DefaultBackend; b != nil && b.Service != nil && r.fallback == nil {
			r.fallback = &backend{in.Namespace, b.Service.Name, b.Service.Port, id}
		}
		for _, rule := range in.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service == nil { // a resource backend: nothing this proxy can send to
					continue
				}
				route := pathRoute{normalizePath(p.Path), p.PathType != nil && *p.PathType == networkingv1.PathTypeExact,
					backend{in.Namespace, p.Backend.Service.Name, p.Backend.Service.Port, id}}
				if route.exact {
					route.path = p.Path
				}
				host := strings.ToLower(rule.Host)
				switch {
				case host == "":
					r.anyHost = append(r.anyHost, route)
				case strings.HasPrefix(host, "*."):
					r.byWildcard[host[2:]] = append(r.byWildcard[host[2:]], route)
				default:
					r.byHost[host] = append(r.byHost[host], route)
				}
			}
		}
	}
	order := func(rs []pathRoute) {
		sort.SliceStable(rs, func(i, j int) bool {
			if len(rs[i].path) != len(rs[j].path) {
				return len(rs[i].path) > len(rs[j].path)
			}
			return rs[i].exact && !rs[j].exact
		})
	}
	for _, rs := range r.byHost {
		order(rs)
	}
	for _, rs := range r.byWildcard {
		order(rs)
	}
	order(r.anyHost)
	return r
}

func older(a, b *networkingv1.Ingress) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// normalizePath: "" and "/" are the root; a Prefix pattern's trailing '/' is ignored ("/foo/"
// matches like "/foo", as the Ingress API says).
func normalizePath(p string) string {
	if p == "" || p == "/" {
		return "/"
	}
	return strings.TrimRight(p, "/")
}

// match finds the backend for a request: rules of its exact host, then of a wildcard covering it
// (one label deeper only), then host-less rules, then the default backend.
func (r *routes) match(host, path string) *backend {
	host = strings.ToLower(host)
	if path == "" {
		path = "/"
	}
	if b := matchPath(r.byHost[host], path); b != nil {
		return b
	}
	if dot := strings.IndexByte(host, '.'); dot > 0 {
		if b := matchPath(r.byWildcard[host[dot+1:]], path); b != nil {
			return b
		}
	}
	if b := matchPath(r.anyHost, path); b != nil {
		return b
	}
	return r.fallback
}

func matchPath(rs []pathRoute, path string) *backend {
	for i := range rs {
		p := rs[i].path
		if rs[i].exact {
			if path == p {
				return &rs[i].backend
			}
			continue
		}
		// Prefix: whole path elements only ("/foo" matches "/foo" and "/foo/bar", not "/foobar")
		if p == "/" || path == p || strings.HasPrefix(path, p+"/") {
			return &rs[i].backend
		}
	}
	return nil
}
