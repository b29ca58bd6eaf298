package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

type targetKey struct{}

// handler routes one request to an endpoint of its backend and proxies it there.
func (c *controller) handler() http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: pr.In.Context().Value(targetKey{}).(string)})
			pr.Out.Host = pr.In.Host // the application sees the host it was asked for
			pr.SetXForwarded()
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     30 * time.Second,
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Printf("%s %s%s → %s: %v", r.Method, r.Host, r.URL.Path, r.Context().Value(targetKey{}), err)
			http.Error(w, "Bad Gateway", http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		table, _ := c.current()
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		b := table.match(host, r.URL.Path)
		if b == nil {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		target, err := c.endpoint(b)
		if err != nil {
			var re *routeError
			if errors.As(err, &re) && re.status == http.StatusNotFound {
				http.Error(w, "404 page not found", http.StatusNotFound)
			} else {
				http.Error(w, "no available server", http.StatusServiceUnavailable)
			}
			log.Printf("%s %s%s (Ingress %s): %v", r.Method, r.Host, r.URL.Path, b.ingress, err)
			return
		}
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, target)))
	})
}

func (c *controller) server(addr string) *http.Server {
	// a header that trickles in is cut off; bodies and answers may take as long as the app takes
	return &http.Server{Addr: addr, Handler: c.handler(), ReadHeaderTimeout: 10 * time.Second}
}

func (c *controller) serveHTTP(addr string) error { return c.server(addr).ListenAndServe() }

func (c *controller) serveHTTPS(addr string) error {
	s := c.server(addr)
	s.TLSConfig = &tls.Config{GetCertificate: c.certificate, MinVersion: tls.VersionTLS12}
	return s.ListenAndServeTLS("", "")
}
