package stap

import (
	"regexp"
	"strconv"
	"strings"
)

// Class is a kind of stap failure the user can act on.
type Class int

const (
	ClassUnknown Class = iota
	ClassNotInstalled
	ClassNoKernelBuildTree
	ClassNoDebugInfo
	ClassPermission
	ClassNoUprobes
	ClassNoKprobes
	ClassBPFMemlock
	ClassSemantic
	ClassParse
	ClassCompile
	ClassModuleLoad
	// ClassBPFLimit: a handler is beyond a limit of the BPF runtime (its
	// stack, the verifier's instruction budget).
	ClassBPFLimit
	// ClassMapFull: a map of the script reached its size at run time.
	ClassMapFull
)

var classNames = map[Class]string{
	ClassUnknown: "stap failed", ClassNotInstalled: "stap not installed", ClassNoKernelBuildTree: "no kernel build tree",
	ClassNoDebugInfo: "no debuginfo", ClassPermission: "no permission", ClassNoUprobes: "no uprobes", ClassNoKprobes: "no kprobes",
	ClassBPFMemlock: "BPF memlock limit", ClassSemantic: "semantic error", ClassParse: "parse error", ClassCompile: "compile error",
	ClassModuleLoad: "module load failed", ClassBPFLimit: "BPF runtime limit", ClassMapFull: "map full",
}

func (c Class) String() string { return classNames[c] }

// Error is a stap failure: one summary line, a hint, and the full stderr.
type Error struct {
	Class    Class
	Summary  string
	Hint     string
	Stderr   string
	ExitCode int
	// Identifier is the probe point or variable a semantic error names,
	// so the caller can map it back to the request.
	Identifier string
	// Line is the script line a semantic error points at, 0 if none.
	Line int
	Err  error
}

func (e *Error) Error() string { return "stap: " + e.Summary }
func (e *Error) Unwrap() error { return e.Err }

var (
	buildTreeRE = regexp.MustCompile(`Checking "(/lib/modules/[^"]+/build)/\.config" failed`)
	semanticRE  = regexp.MustCompile(`(?m)^semantic error: (.*)$`)
	sourceRE    = regexp.MustCompile(`(?m)^\s+source: (.*)$`)
	parseRE     = regexp.MustCompile(`(?m)^parse error: (.*)$`)
	identRE     = regexp.MustCompile(`(?:identifier|operator) '([^']*)'`)
	localRE     = regexp.MustCompile(`unable to find local '([^']*)'`)
	atLineRE    = regexp.MustCompile(`' at [^\s:]+:(\d+):\d+`)
	releaseRE   = regexp.MustCompile(`/lib/modules/([^/]+)/build`)
)

// ansiRE matches the colour escapes stap 5 puts in its messages.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*[mK]")

// Classify reads stap's stderr after a failed run.
func Classify(stderr string, exit int) *Error {
	stderr = ansiRE.ReplaceAllString(stderr, "")
	e := &Error{Stderr: stderr, ExitCode: exit}
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(stderr, x) {
				return true
			}
		}
		return false
	}
	switch {
	case buildTreeRE.MatchString(stderr):
		dir := buildTreeRE.FindStringSubmatch(stderr)[1]
		rel := ""
		if m := releaseRE.FindStringSubmatch(dir); m != nil {
			rel = m[1]
		}
		e.Class, e.Summary = ClassNoKernelBuildTree, "no kernel build tree at "+dir
		e.Hint = "install linux-headers-" + rel + " (Debian/Ubuntu) or kernel-devel-" + rel + " (Fedora/RHEL), or pass --release with a build tree directory"
	case has("could not increase map resource limit", "Operation not permitted") && has("bpf", "map"):
		e.Class, e.Summary = ClassBPFMemlock, "the BPF runtime could not raise RLIMIT_MEMLOCK"
		e.Hint = "run as root with CAP_SYS_RESOURCE (ulimit -l unlimited), or use a stap built for kernels >= 5.11"
	case has("max_tmp_space <= MAX_BPF_STACK", "insufficient BPF stack size", "insufficent BPF stack size"):
		// stapbpf's 512-byte stack per handler; stapgen already gives
		// each string its own handler, so what is left is one value or
		// filter too wide for it.
		e.Class, e.Summary = ClassBPFLimit, "a probe handler needs more than the BPF runtime's 512-byte stack"
		e.Hint = "print fewer values per probe (--fields), shorter strings (--strlen 32), drop a --where filter, or use --runtime kernel"
	case has("too many instructions", "program too large", "BPF program is too large"):
		e.Class, e.Summary = ClassBPFLimit, "a probe handler exceeds the BPF verifier's instruction limit"
		e.Hint = "read fewer elements (--elems) or shorter strings (--strlen), print fewer values (--fields), or use --runtime kernel"
	case has("You are trying to run systemtap as a normal user", "not a member of the group", "stapusr", "stapdev") && !has("semantic error"):
		e.Class, e.Summary = ClassPermission, "stap needs root, or membership of the stapusr and stapdev groups"
		e.Hint = "run with sudo, or: usermod -aG stapusr,stapdev $USER"
	case has("missing x86_64 kernel/module debuginfo", "missing kernel debuginfo", "Missing separate debuginfos", "no debuginfo") ||
		(has("semantic error: while resolving probe point") && has("kernel.function") && has("debuginfo")):
		e.Class, e.Summary = ClassNoDebugInfo, "kernel debug info is missing"
		e.Hint = "install linux-image-$(uname -r)-dbg (Debian), linux-image-$(uname -r)-dbgsym (Ubuntu) or run debuginfo-install kernel-$(uname -r) (Fedora/RHEL)"
	case has("kprobe_events: No such file"):
		e.Class, e.Summary = ClassNoKprobes, "this kernel has no kprobes (no tracing/kprobe_events)"
		e.Hint = "kernel function probes need CONFIG_KPROBES; user-space probes still work"
	case has("uprobe_events: No such file"):
		e.Class, e.Summary = ClassNoUprobes, "no tracing/uprobe_events: debugfs is not mounted, or the kernel has no uprobes"
		e.Hint = "mount -t debugfs none /sys/kernel/debug; user-space probes need CONFIG_UPROBES"
	case has("uprobes") && has("not available", "not supported", "CONFIG_UPROBES"):
		e.Class, e.Summary, e.Hint = ClassNoUprobes, "this kernel has no uprobes", "user-space probes need a kernel with CONFIG_UPROBES"
	case has("kprobes") && has("not available", "not supported", "CONFIG_KPROBES"):
		e.Class, e.Summary, e.Hint = ClassNoKprobes, "this kernel has no kprobes", "kernel function probes need CONFIG_KPROBES"
	case has("Array overflow, check MAXMAPENTRIES"):
		// The maps kept per call in flight wrap (templates: percall);
		// a statistic's keys do not, as forgetting one would print
		// wrong totals.
		e.Class, e.Summary = ClassMapFull, "a map of the script filled up at run time (stap gives a map 2,048 entries unless told otherwise)"
		e.Hint = "with --by, key on a value with fewer distinct values, or pass --stap-arg -DMAXMAPENTRIES=65536"
	case semanticRE.MatchString(stderr):
		e.Class = ClassSemantic
		e.Summary = "semantic error: " + strings.TrimSpace(semanticRE.FindStringSubmatch(stderr)[1])
		if m := localRE.FindStringSubmatch(stderr); m != nil {
			e.Identifier = m[1]
		} else if m := identRE.FindStringSubmatch(stderr); m != nil {
			e.Identifier = m[1]
		}
		if m := sourceRE.FindStringSubmatch(stderr); m != nil {
			e.Hint = "at: " + strings.TrimSpace(m[1])
		}
		if m := atLineRE.FindStringSubmatch(stderr); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
		}
	case parseRE.MatchString(stderr):
		e.Class, e.Summary = ClassParse, "parse error: "+strings.TrimSpace(parseRE.FindStringSubmatch(stderr)[1])
	case has("Pass 4: compilation failed"):
		e.Class, e.Summary = ClassCompile, "the generated module did not compile"
		e.Hint = "the kernel headers may not match this stap version; rerun with --verbose for the compiler output"
	case has("Couldn't insert module", "insmod", "Required key not available"):
		e.Class, e.Summary = ClassModuleLoad, "the kernel refused the module"
		e.Hint = "Secure Boot/lockdown refuses unsigned modules; try --runtime=bpf"
	default:
		e.Class = ClassUnknown
		e.Summary = lastMeaningful(stderr)
		e.Hint = "rerun with --verbose for stap's full output"
	}
	return e
}

// lastMeaningful picks the most telling line of stderr: an ERROR line, or
// the last line that is not a tip or a pass banner.
func lastMeaningful(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "ERROR:") {
			return strings.TrimSpace(l)
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "Tip:") || strings.HasPrefix(l, "Pass ") {
			continue
		}
		return l
	}
	if s == "" {
		return "stap failed without a message"
	}
	return strings.TrimSpace(lines[0])
}
