// Command httplatency is a small HTTP server whose handler latency is known
// in advance: it serves -n requests from its own client, half to /fast
// (about 1 ms of work) and half to /slow (about 20 ms), then exits. It
// prints one line per request on stderr, with the time the handler took
// as the program measured it:
//
//	SERVED path=/slow took=20.3ms
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func main() {
	n := flag.Int("n", 20, "requests to serve")
	flag.Parse()
	mux := http.NewServeMux()
	handle := func(path string, work time.Duration) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			time.Sleep(work)
			fmt.Fprintf(w, "ok %s\n", path)
			fmt.Fprintf(os.Stderr, "SERVED path=%s took=%s\n", path, time.Since(start).Round(100*time.Microsecond))
		})
	}
	handle("/fast", time.Millisecond)
	handle("/slow", 20*time.Millisecond)
	// A Unix socket: it needs no network, not even loopback (the lab's VM
	// has none up).
	dir, err := os.MkdirTemp("", "httplatency-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "httplatency:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httplatency:", err)
		os.Exit(1)
	}
	go http.Serve(ln, mux)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	// A tracer attaches while the program starts; give it a moment before
	// the first request.
	time.Sleep(500 * time.Millisecond)
	for i := 0; i < *n; i++ {
		path := "/fast"
		if i%2 == 1 {
			path = "/slow"
		}
		resp, err := client.Get("http://httplatency" + path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "httplatency:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
