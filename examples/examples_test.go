// Package examples_test runs every example the way its README shows, on the
// lab, and checks what it prints against what the example program itself
// reports.
package examples_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stapgen/stapgen/internal/lab"
	"github.com/stapgen/stapgen/internal/testenv"
)

// stapgenBin is the CLI built once for every example.
var stapgenBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stapgen-examples-")
	if err != nil {
		panic(err)
	}
	stapgenBin = filepath.Join(dir, "stapgen")
	if out, err := exec.Command("go", "build", "-o", stapgenBin, "../cmd/stapgen").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workDir is where examples are built: the lab's VM sees /var/tmp.
func workDir(t *testing.T, name string) string {
	d := filepath.Join(testenv.FixtureRoot(), "examples", name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func build(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q: %v\n%s", args, err, out)
	}
}

// run runs the README's command line: the words after "$ stapgen", with
// ./NAME made absolute and the lab's VM stap added.
func run(t *testing.T, example, dir string) (stdout, stderr string) {
	t.Helper()
	testenv.Long(t, "runs the example on the lab's VM")
	vm, err := lab.Stap(lab.VMModule)
	testenv.Need(t, err == nil, "%v", err)
	readme, err := os.ReadFile(filepath.Join(example, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\$ stapgen (.*)$`).FindSubmatch(readme)
	if m == nil {
		t.Fatalf("%s/README.md shows no stapgen command", example)
	}
	line := strings.ReplaceAll(string(m[1]), "./", dir+"/")
	words := splitWords(line)
	args := append([]string{words[0], "--stap", vm}, words[1:]...)
	cmd := exec.Command(stapgenBin, args...)
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("stapgen %q: %v\n%s", args, err, errb.String())
	}
	return out.String(), errb.String()
}

// splitWords splits a shell-like line: words, and "double-quoted" words.
func splitWords(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(s, -1) {
		if m[2] != "" {
			out = append(out, m[2])
		} else {
			out = append(out, m[1])
		}
	}
	return out
}

// TestAllocstacks: the folded stacks count each call path as often as the
// program says it allocated through it.
func TestAllocstacks(t *testing.T) {
	dir := workDir(t, "allocstacks")
	build(t, ".", "gcc", "-g", "-O0", "-fno-omit-frame-pointer", "-o", filepath.Join(dir, "allocstacks"), "allocstacks/main.c")
	out, errs := run(t, "allocstacks", dir)
	m := regexp.MustCompile(`ALLOC copy_name=(\d+) make_table=(\d+)`).FindStringSubmatch(errs)
	if m == nil {
		t.Fatalf("the program did not report its allocations:\n%s", errs)
	}
	for _, want := range []string{"main;copy_name;xmalloc " + m[1], "main;make_table;xmalloc " + m[2]} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			found = found || strings.HasSuffix(l, want)
		}
		if !found {
			t.Errorf("no folded stack ending %q in:\n%s", want, out)
		}
	}
}

// TestMountd: every mount the daemon made is traced, with the target it
// passed, and returns with the error it got, as the program printed it.
func TestMountd(t *testing.T) {
	dir := workDir(t, "mountd")
	build(t, "mountd", "go", "build", "-o", filepath.Join(dir, "mountd"), ".")
	out, errs := run(t, "mountd", dir)
	var want, wantErrs []string
	for _, m := range regexp.MustCompile(`MOUNT source="overlay" target="([^"]*)" .* err=(.*)`).FindAllStringSubmatch(errs, -1) {
		want = append(want, m[1])
		wantErrs = append(wantErrs, m[2])
	}
	var got, gotErrs []string
	for _, m := range regexp.MustCompile(`syscall.Mount entry +target="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		got = append(got, m[1])
	}
	for _, m := range regexp.MustCompile(`syscall.Mount return err=(.*)`).FindAllStringSubmatch(out, -1) {
		gotErrs = append(gotErrs, m[1])
	}
	if len(want) == 0 || strings.Join(got, "|") != strings.Join(want, "|") || strings.Join(gotErrs, "|") != strings.Join(wantErrs, "|") {
		t.Errorf("traced %q returning %q; the program mounted %q and got %q\n%s", got, gotErrs, want, wantErrs, out)
	}
}

// TestHTTPLatency: the histogram counts every request the server served,
// and a traced ServeHTTP call is never shorter than the handler inside it
// took by the program's own clock: the traced min and max bound the
// measured ones, and the buckets from 16 ms up hold at least the requests
// that took that long.
func TestHTTPLatency(t *testing.T) {
	dir := workDir(t, "httplatency")
	build(t, "httplatency", "go", "build", "-o", filepath.Join(dir, "httplatency"), ".")
	out, errs := run(t, "httplatency", dir)
	var took []time.Duration
	for _, m := range regexp.MustCompile(`SERVED path=\S+ took=(\S+)`).FindAllStringSubmatch(errs, -1) {
		d, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatal(err)
		}
		took = append(took, d)
	}
	head := regexp.MustCompile(`latency of net/http.serverHandler.ServeHTTP: (\d+) calls, min (\S+), avg \S+, max (\S+)`).FindStringSubmatch(out)
	if head == nil || len(took) == 0 {
		t.Fatalf("no latency summary or no requests served:\n%s\n%s", out, errs)
	}
	calls, _ := strconv.Atoi(head[1])
	minLat, err1 := time.ParseDuration(head[2])
	maxLat, err2 := time.ParseDuration(head[3])
	if err1 != nil || err2 != nil {
		t.Fatalf("summary durations %q %q", head[2], head[3])
	}
	slices.Sort(took)
	// took is rounded to 100µs by the program.
	const slack = 100 * time.Microsecond
	if calls != len(took) || minLat+slack < took[0] || maxLat+slack < took[len(took)-1] {
		t.Errorf("%d calls, min %s, max %s; the server served %d, fastest %s, slowest %s", calls, minLat, maxLat, len(took), took[0], took[len(took)-1])
	}
	total, atLeast16ms := 0, 0
	for _, m := range regexp.MustCompile(`(?m)^\s+(\d+) \|@*\s*(\d+)$`).FindAllStringSubmatch(out, -1) {
		bucket, _ := strconv.ParseInt(m[1], 10, 64)
		n, _ := strconv.Atoi(m[2])
		total += n
		if bucket >= 1<<24 {
			atLeast16ms += n
		}
	}
	slow := 0
	for _, d := range took {
		if d >= 1<<24*time.Nanosecond+slack {
			slow++
		}
	}
	if total != len(took) || atLeast16ms < slow {
		t.Errorf("histogram holds %d calls, %d of 16 ms or more; the server served %d, %d of them that slow\n%s", total, atLeast16ms, len(took), slow, out)
	}
}
