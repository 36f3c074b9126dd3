package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionPerApp: each app prints its version with its own environment,
// however many apps were built since: nothing is kept in a package global
// (urfave/cli's VersionPrinter was reassigned by every NewApp).
func TestVersionPerApp(t *testing.T) {
	dir := t.TempDir()
	stapFor := func(v string) string {
		p := filepath.Join(dir, "stap-"+v)
		os.WriteFile(p, []byte("#!/bin/sh\necho 'Systemtap translator/driver (version "+v+"/0.192)'\n"), 0o755)
		return p
	}
	envFor := func(stap string, out *bytes.Buffer) *Env {
		return &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Getenv: func(k string) string {
			if k == "STAPGEN_STAP" {
				return stap
			}
			return ""
		}}
	}
	a, b := stapFor("4.8"), stapFor("5.1")
	var outA, outB bytes.Buffer
	appA := NewApp(envFor(a, &outA))
	appB := NewApp(envFor(b, &outB))
	for _, run := range []struct {
		app interface {
			RunContext(context.Context, []string) error
		}
		out  *bytes.Buffer
		want string
	}{{appA, &outA, "stap: 4.8/0.192 (" + a + ")"}, {appB, &outB, "stap: 5.1/0.192 (" + b + ")"}} {
		if err := run.app.RunContext(context.Background(), []string{"stapgen", "--version"}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(run.out.String(), run.want) || !strings.HasPrefix(run.out.String(), "stapgen ") {
			t.Errorf("--version printed %q, want %q", run.out.String(), run.want)
		}
	}
}
