// echo-server: kadai's local stand-in for kicbase/echo-server:1.0 and k8s.gcr.io/echoserver:1.4
// (and mcr.microsoft.com/azuredocs/aci-helloworld). Standard library only; builds with Go >= 1.19.
//
// ECHO_STYLE selects the answer format:
//
//	kicbase (default)  like jmalloc/echo-server (which kicbase/echo-server is):
//	                   "Request served by <hostname>", the request line, the headers, the body.
//	k8s                like the nginx/lua based k8s echoserver 1.4/1.10: "Hostname:", CLIENT VALUES,
//	                   SERVER VALUES, HEADERS RECEIVED, BODY.
//	aci                a static "Welcome to Azure Container Instances!" page.
//
// PORT (default 8080) is the port to listen on, as in jmalloc/echo-server.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
)

const maxBody = 1 << 20

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func headerLines(r *http.Request, lower bool) []string {
	var lines []string
	// Host is not in r.Header for server requests
	if lower {
		lines = append(lines, "host="+r.Host)
	} else {
		lines = append(lines, "Host: "+r.Host)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			if lower {
				lines = append(lines, strings.ToLower(k)+"="+v)
			} else {
				lines = append(lines, k+": "+v)
			}
		}
	}
	sort.Strings(lines)
	return lines
}

func kicbase(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	w.Header().Set("Content-Type", "text/plain")
	var b strings.Builder
	fmt.Fprintf(&b, "Request served by %s\n\n", hostname())
	fmt.Fprintf(&b, "%s %s %s\n\n", r.Method, r.RequestURI, r.Proto)
	for _, l := range headerLines(r, false) {
		b.WriteString(l + "\n")
	}
	if len(body) > 0 {
		b.WriteString("\n")
		b.Write(body)
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

func k8s(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	w.Header().Set("Content-Type", "text/plain")
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	query := r.URL.RawQuery
	if query == "" {
		query = "nil"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n\nHostname: %s\n\n", hostname())
	b.WriteString("Pod Information:\n\t-no pod information available-\n\n")
	b.WriteString("Server values:\n\tserver_version=nginx: 1.10.0 - lua: 10001 (kadai stand-in)\n\n")
	b.WriteString("CLIENT VALUES:\n")
	fmt.Fprintf(&b, "client_address=%s\n", client)
	fmt.Fprintf(&b, "command=%s\n", r.Method)
	fmt.Fprintf(&b, "real path=%s\n", r.URL.Path)
	fmt.Fprintf(&b, "query=%s\n", query)
	fmt.Fprintf(&b, "request_version=%d.%d\n", r.ProtoMajor, r.ProtoMinor)
	fmt.Fprintf(&b, "request_uri=http://%s%s\n\n", r.Host, r.RequestURI)
	b.WriteString("SERVER VALUES:\nserver_version=nginx: 1.10.0 - lua: 10001\n\n")
	b.WriteString("HEADERS RECEIVED:\n")
	for _, l := range headerLines(r, true) {
		b.WriteString(l + "\n")
	}
	b.WriteString("BODY:\n")
	if len(body) == 0 {
		b.WriteString("-no body in request-")
	} else {
		b.Write(body)
	}
	io.WriteString(w, b.String())
}

const aciPage = `<html>
<head><title>Welcome to Azure Container Instances!</title></head>
<body style="font-family: sans-serif; text-align: center">
<h1>Welcome to Azure Container Instances!</h1>
<p>kadai local stand-in for mcr.microsoft.com/azuredocs/aci-helloworld (served by %s)</p>
</body>
</html>
`

func aci(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, aciPage, hostname())
}

func main() {
	style := os.Getenv("ECHO_STYLE")
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	var h http.HandlerFunc
	switch style {
	case "", "kicbase":
		h = kicbase
	case "k8s":
		h = k8s
	case "aci":
		h = aci
	default:
		log.Fatalf("unknown ECHO_STYLE %q", style)
	}
	addr := ":" + port
	log.Printf("echo-server (%s style) listening on %s", style, addr)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s %s from %s", r.Method, r.RequestURI, r.Proto, r.RemoteAddr)
		h(w, r)
	})))
}
