// hitgo calls Hit(s, n) N times and prints the ns per call it measured
// itself, so that a tracer's start-up and tear-down are not counted.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

//go:noinline
func Hit(s string, n int) int { return len(s) + n }

func main() {
	n := 20000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	// 51 bytes, as in the hand measurement.
	s := "the quick brown fox jumps over the lazy dog 0123456"
	// A short pause lets a tracer that attaches late (bpftrace -c) arm first.
	if d := os.Getenv("HIT_DELAY_MS"); d != "" {
		ms, _ := strconv.Atoi(d)
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	sum := 0
	start := time.Now()
	for i := 0; i < n; i++ {
		sum += Hit(s, i)
	}
	el := time.Since(start)
	fmt.Printf("hitgo calls=%d ns_per_call=%.1f sum=%d\n", n, float64(el.Nanoseconds())/float64(n), sum)
}
