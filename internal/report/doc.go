// Package report presents decoded events to people and tools: an aligned
// live table, JSON lines, and an end-of-run summary with counts and latency
// histograms.
package report
