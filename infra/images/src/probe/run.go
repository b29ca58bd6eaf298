package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// lineWriter prints one JSON document per line, flushed at once so that a grader reading the
// exec stream sees each request as it completes.
type lineWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (l *lineWriter) write(v interface{}) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b) // adds the newline
	enc.SetEscapeHTML(false)   // bodies are mostly HTML: keep them readable
	if err := enc.Encode(v); err != nil {
		b.Reset()
		_ = enc.Encode(map[string]string{"error": "encoding a line: " + err.Error()})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(b.Bytes())
	l.w.Flush()
}

func parseFlags(name string, args []string, register func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet("probe "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; the URL goes in -url)", fs.Arg(0))
	}
	return nil
}

func runGet(args []string) int {
	var o requestOptions
	if err := parseFlags("get", args, o.register); err != nil {
		return usageError(err)
	}
	if err := o.validate(); err != nil {
		return usageError(err)
	}
	out := &lineWriter{w: bufio.NewWriter(os.Stdout)}
	out.write(newRequester(o, 1).do(context.Background(), 0, time.Now()))
	return 0
}

type runOptions struct {
	requestOptions
	rate        float64
	duration    time.Duration
	count       int
	stopOnEOF   bool
	maxInflight int
}

func runRun(args []string) int {
	var o runOptions
	err := parseFlags("run", args, func(fs *flag.FlagSet) {
		o.register(fs)
		fs.Float64Var(&o.rate, "rate", 0, "requests per second (0: one after another)")
		fs.DurationVar(&o.duration, "duration", 0, "how long to send")
		fs.IntVar(&o.count, "count", 0, "how many requests to send")
		fs.BoolVar(&o.stopOnEOF, "stop-on-eof", false, "stop when stdin closes")
		fs.IntVar(&o.maxInflight, "max-inflight", 200, "requests outstanding at most")
	})
	if err == nil {
		err = o.validate()
	}
	if err == nil {
		switch {
		case o.duration <= 0 && o.count <= 0:
			err = errors.New("one of -duration and -count is required")
		case o.rate < 0 || o.rate > 1000:
			err = errors.New("-rate must be between 0 and 1000")
		case o.maxInflight < 1:
			err = errors.New("-max-inflight must be at least 1")
		}
	}
	if err != nil {
		return usageError(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if o.duration > 0 {
		ctx, stop = context.WithTimeout(ctx, o.duration)
		defer stop()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; stop() }()
	if o.stopOnEOF {
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop() }()
	}

	out := &lineWriter{w: bufio.NewWriter(os.Stdout)}
	results := send(ctx, o, out)
	out.write(map[string]interface{}{"summary": summarise(results, o)})
	return 0
}

// send issues the requests and returns their results. At a rate, each request starts on its own
// tick whatever the earlier ones are doing (a slow backend must not slow the probe down: that
// would hide failures during a rollout); without a rate they go one after another.
func send(ctx context.Context, o runOptions, out *lineWriter) []result {
	r := newRequester(o.requestOptions, o.maxInflight)
	t0 := time.Now()
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	record := func(res result) {
		out.write(res)
		mu.Lock()
		results = append(results, res)
		mu.Unlock()
	}
	// requests already sent finish (or time out) even after the probe stops sending
	requestCtx := context.Background()
	inflight := make(chan struct{}, o.maxInflight)
	var tick <-chan time.Time
	if o.rate > 0 {
		ticker := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
		defer ticker.Stop()
		tick = ticker.C
	}
	for seq := 0; o.count <= 0 || seq < o.count; seq++ {
		if ctx.Err() != nil {
			break
		}
		if tick == nil {
			record(r.do(requestCtx, seq, t0))
			continue
		}
		if seq > 0 {
			select {
			case <-ctx.Done():
			case <-tick:
			}
			if ctx.Err() != nil {
				break
			}
		}
		select {
		case inflight <- struct{}{}:
		default:
			// the cap is reached: this tick's request is recorded as not sent rather than delayed
			record(result{Seq: seq, Start: time.Now().UTC().Format(time.RFC3339Nano),
				OffsetMs: ms(time.Since(t0)), Error: "not sent: " + strconv.Itoa(o.maxInflight) + " requests outstanding"})
			continue
		}
		wg.Add(1)
		go func(seq int) {
			defer wg.Done()
			defer func() { <-inflight }()
			record(r.do(requestCtx, seq, t0))
		}(seq)
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].Seq < results[j].Seq })
	return results
}

type summary struct {
	Sent           int            `json:"sent"`
	OK             int            `json:"ok"` // answered with a status below 400
	Failed         int            `json:"failed"`
	Statuses       map[string]int `json:"statuses"`
	Errors         int            `json:"errors"` // no answer at all
	DistinctBodies int            `json:"distinctBodies"`
	Servers        map[string]int `json:"servers"`
	Marks          map[string]int `json:"marks"`
	LatencyMs      latencies      `json:"latencyMs"`
	DurationMs     float64        `json:"durationMs"`
	Rate           float64        `json:"rate"` // requested per second, 0 = one after another
}

type latencies struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

func summarise(results []result, o runOptions) summary {
	s := summary{Statuses: map[string]int{}, Servers: map[string]int{}, Marks: map[string]int{}, Rate: o.rate}
	bodies := map[string]bool{}
	var lat []float64
	for _, r := range results {
		s.Sent++
		if r.Status == 0 {
			s.Errors++
		} else {
			s.Statuses[strconv.Itoa(r.Status)]++
			lat = append(lat, r.LatencyMs)
		}
		if r.Status > 0 && r.Status < 400 && r.Error == "" {
			s.OK++
		} else {
			s.Failed++
		}
		if r.Status > 0 {
			bodies[r.Sha256] = true
		}
		if r.Server != "" {
			s.Servers[r.Server]++
		}
		for _, m := range r.Marks {
			s.Marks[m]++
		}
		if end := r.OffsetMs + r.LatencyMs; end > s.DurationMs {
			s.DurationMs = end
		}
	}
	s.DistinctBodies = len(bodies)
	sort.Float64s(lat)
	if n := len(lat); n > 0 {
		s.LatencyMs = latencies{P50: lat[(n-1)/2], P95: lat[(n*95+99)/100-1], Max: lat[n-1]}
	}
	return s
}

func usageError(err error) int {
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "probe:", err)
	}
	return 2
}
