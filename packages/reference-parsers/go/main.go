// kadai-parsers reads Compose files and Dockerfiles with the reference implementations
// (compose-spec/compose-go, BuildKit's Dockerfile parser) for kadai's Node processes.
//
// It is long-lived: one JSON request per line on stdin, one JSON response per line on stdout,
// answered in any order (each carries its request's id). It never reads a file or opens a
// connection on behalf of a request: the submission's files travel inside the request, and where
// the kernel offers Landlock the process gives up all filesystem and TCP access before it reads
// the first request.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"github.com/sirupsen/logrus"
)

// maxRequestBytes bounds one request line (the Node side sends at most the submission's text files).
const maxRequestBytes = 32 << 20

type request struct {
	ID int64  `json:"id"`
	Op string `json:"op"`
	// compose: the Compose file's name and the submission's files (path → content).
	File  string            `json:"file"`
	Files map[string]string `json:"files"`
	// dockerfile: its text and the build args the build will get.
	Text      string            `json:"text"`
	BuildArgs map[string]string `json:"buildArgs"`
}

// inputError is the submission's fault: it names, where it can, the field path and the position.
type inputError struct {
	Message string `json:"message"`
	Path    []any  `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func (e *inputError) Error() string { return e.Message }

type response struct {
	ID     int64       `json:"id"`
	Result any         `json:"result,omitempty"`
	Error  *inputError `json:"error,omitempty"`
	// Internal is set when the helper itself failed (a bug, not the submission's fault).
	Internal string `json:"internal,omitempty"`
}

type hello struct {
	Ready    bool `json:"ready"`
	Landlock int  `json:"landlock"`
}

// sandbox removes the process's right to open any file or make or accept any TCP connection.
// Returns the Landlock ABI in force (0: the kernel has none; the loader options still hold).
func sandbox() (int, error) {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		return 0, nil
	}
	if err := landlock.V5.BestEffort().Restrict(); err != nil {
		return 0, fmt.Errorf("landlock: %w", err)
	}
	return abi, nil
}

func handle(req request) (resp response) {
	resp.ID = req.ID
	defer func() {
		if r := recover(); r != nil {
			resp.Result, resp.Error, resp.Internal = nil, nil, fmt.Sprintf("panic: %v", r)
		}
	}()
	var (
		result any
		err    error
	)
	switch req.Op {
	case "compose":
		result, err = loadCompose(req.File, req.Files)
	case "dockerfile":
		result, err = parseDockerfile(req.Text, req.BuildArgs)
	case "ping":
		result = "pong"
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
		resp.Internal = err.Error()
		return resp
	}
	var input *inputError
	switch {
	case err == nil:
		resp.Result = result
	case errors.As(err, &input):
		resp.Error = input
	default:
		resp.Error = &inputError{Message: err.Error()}
	}
	return resp
}

func main() {
	logrus.SetOutput(io.Discard) // compose-go warns on stderr (obsolete `version:`); nothing to tell the caller
	abi, err := sandbox()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	var mu sync.Mutex
	write := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		if err := out.Encode(v); err != nil {
			os.Exit(1) // the parent has gone
		}
	}
	write(hello{Ready: true, Landlock: abi})
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), maxRequestBytes)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			write(response{ID: -1, Internal: "unreadable request: " + err.Error()})
			continue
		}
		go func() { write(handle(req)) }()
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "stdin:", err)
		os.Exit(1)
	}
}
