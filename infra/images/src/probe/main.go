// probe: kadai's in-cluster HTTP prober (image kadai/probe). kadai runs it in a Pod of the attempt's
// namespace and execs it, so every request a check makes comes from inside the cluster — through the
// Service, NodePort, LoadBalancer address or ingress controller the student's objects set up — never
// from the worker's host. Standard library only; builds with Go >= 1.19, static (CGO_ENABLED=0).
//
//	probe idle                      the Pod's main process: does nothing until SIGTERM (exits at once)
//	probe get -url URL [flags]      one request: one JSON line (exit 0 whatever the HTTP status)
//	probe run -url URL [flags]      -rate R/s for -duration D, or -count N requests (-rate 0: one after
//	                                another); one JSON line per request as it completes, then a summary
//
// Flags (get and run): -host NAME (Host header: an ingress rule's host while the URL names the
// controller's address), -H 'Name: value' (repeatable), -method, -timeout (per request, default 2s),
// -body-bytes N (how much of the body each line shows, default 256), -mark TEXT (repeatable: a line
// lists the marks its body contains — e.g. version markers during a rollout), -keepalive (reuse
// connections; off by default so that every request is load-balanced anew), -insecure (https without
// verification). run only: -stop-on-eof (stop when stdin closes: the grader ends a probe whose
// length it does not know in advance by closing the exec's stdin), -max-inflight N (default 200).
//
// Exit codes: 0 done (whatever the answers were), 2 usage error.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "idle":
		idle()
	case "get":
		os.Exit(runGet(os.Args[2:]))
	case "run":
		os.Exit(runRun(os.Args[2:]))
	case "-h", "--help", "help":
		fmt.Println(usageText)
	default:
		usage()
	}
}

const usageText = `usage: probe idle | probe get -url URL [flags] | probe run -url URL (-duration D | -count N) [-rate R] [flags]`

func usage() {
	fmt.Fprintln(os.Stderr, usageText)
	os.Exit(2)
}

// idle keeps the Pod running between execs; as PID 1 it must exit on SIGTERM itself (the kernel
// gives PID 1 no default signal actions), or deleting the Pod would wait for the grace period.
func idle() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
