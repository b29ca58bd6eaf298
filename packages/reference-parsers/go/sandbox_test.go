package main

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// TestSandboxRemovesFileAndNetworkAccess confines a child copy of the test binary as the helper
// confines itself, then checks it can neither read a host file nor open a TCP connection.
func TestSandboxRemovesFileAndNetworkAccess(t *testing.T) {
	if os.Getenv("KADAI_SANDBOX_CHILD") == "1" {
		abi, err := sandbox()
		if err != nil {
			os.Exit(2)
		}
		if abi == 0 {
			os.Exit(4) // no Landlock on this kernel
		}
		if _, err := os.ReadFile(hostFile); err == nil {
			os.Exit(3)
		}
		if conn, err := net.Dial("tcp", os.Getenv("KADAI_SANDBOX_ADDR")); err == nil {
			conn.Close()
			os.Exit(5)
		}
		os.Exit(0)
	}
	if _, err := os.ReadFile(hostFile); err != nil {
		t.Skip("no " + hostFile)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSandboxRemovesFileAndNetworkAccess$")
	cmd.Env = []string{"KADAI_SANDBOX_CHILD=1", "KADAI_SANDBOX_ADDR=" + listener.Addr().String()}
	err = cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	switch code {
	case 0:
	case 4:
		t.Skip("this kernel has no Landlock; the helper relies on its loader options alone")
	case 3:
		t.Fatal("the confined process read " + hostFile)
	case 5:
		t.Fatal("the confined process opened a TCP connection")
	default:
		t.Fatalf("the confined process failed (exit %d)", code)
	}
}
