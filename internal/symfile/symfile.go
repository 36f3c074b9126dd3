// Package symfile makes every function of a stripped binary, and any address
// inside one, probe-able by name in stap 4.8 and 5.x.
//
// stap refuses process(BIN).function("F") and .statement(0xADDR) in a binary
// with neither DWARF nor .symtab ("No DWARF information found"). Given only
// an ELF symbol table it falls back to symbol lookup for .function("F")
// (entry, .call, .return), but never resolves .statement(ADDR) that way. So
// Write builds the binary's .symtab from its function table (Go's pclntab
// survives stripping), adds one alias symbol per extra address a probe needs
// (a RET, the body after the stack check) and writes it as a separate debug
// file where libdwfl looks: DIR/.build-id/NN/REST.debug for a binary with a
// GNU build-id, DIR/<the binary's absolute path>.debug for one without. stap
// searches DIR once it is named in SYSTEMTAP_DEBUGINFO_PATH (Result.Env).
// /work/notes/symfile-findings.md holds the stap runs this rests on.
//
// Names: stap matches function("...") with fnmatch(3) and its lexer keeps
// some escapes and drops others, so no escaping makes '*' literal; a Go
// method name like main.(*T).M is given as main.(?T).M when that pattern
// matches no other function, else as an alias; see Matcher.Pattern.
//
// Use: for a target with neither DWARF nor .symtab, call Write with its
// function table and the RET/body addresses the plan probes; add Result.Env
// to stap's environment; write every probe as process(BIN).function("N"),
// with ".call" for an entry, where N is Result.Names[address], in place of
// .function(name) and .statement(0xADDR). For a target with DWARF (Write
// says ErrHasDebugInfo) take names from NewMatcher(names).Pattern. The
// cache directory must be one stap can see (the lab's stap51 runs in a
// chroot that bind-mounts /tmp, /var/tmp and /work, not ~/.cache).
//
// For the BPF runtime, which has no u_register(), Request.Subs adds DWARF
// describing chosen functions' register parameters (dwarf.go); functions it does not describe still
// resolve through the symbols (stap 4.8 and 5.1 alike).
//
// The package writes no stap text: it returns names and the environment, and
// internal/script writes the probes.
package symfile

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Func is one function of the binary, from its function table.
type Func struct {
	Name       string
	Entry, End uint64 // End is exclusive
}

// AliasPrefix starts the name of every symbol Write adds for an address
// that is not a function entry (or an entry whose name stap cannot take).
const AliasPrefix = "stapgen.pc."

// Request says what to write.
type Request struct {
	// Binary is the absolute path of the stripped binary, as the probes
	// name it in process("...").
	Binary string
	// BuildID is the binary's GNU build-id in hex (target.Binary.BuildID),
	// "" when it has none.
	BuildID string
	// Funcs is the binary's whole function table: names are checked for
	// uniqueness against it.
	Funcs []Func
	// Sites are addresses inside functions that probes will name (RET
	// instructions, bodies after the stack check). Entries need not be
	// listed.
	Sites []uint64
	// Subs are functions whose register parameters the file describes in
	// DWARF (Sub), so the BPF runtime reads them; none writes no DWARF.
	Subs []Sub
	// CacheDir is where debug files go; "" means DefaultCacheDir().
	CacheDir string
}

// Result is what a stap run needs.
type Result struct {
	// File is the debug file stap will find for the binary.
	File string
	// Env is "SYSTEMTAP_DEBUGINFO_PATH=..." for stap's environment: the
	// caller's own value (or stap's default) with the cache directory
	// appended, so real debug files, when installed, still win.
	Env string
	// Names maps each function entry and each requested site to the name
	// that goes into process(BIN).function("NAME") to probe exactly that
	// address. A name may hold '?' (see Matcher.Pattern), never '*', '[', a quote
	// or a backslash. It goes between the quotes as it is: stap does not
	// decode escapes in probe points (an octal escape stays four bytes).
	Names map[uint64]string
}

// DefaultDebuginfoPath is stap's own search path when
// SYSTEMTAP_DEBUGINFO_PATH is unset (setupdwfl.cxx, 4.8 and 5.1 alike).
const DefaultDebuginfoPath = "+:.debug:/usr/lib/debug:/var/cache/abrt-di/usr/lib/debug:build"

// DefaultCacheDir is $XDG_CACHE_HOME/stapgen/debug (or ~/.cache/...).
// Under the lab's stap51 the directory must be visible in its chroot.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("symfile: no cache directory: %w", err)
	}
	return filepath.Join(base, "stapgen", "debug"), nil
}

// Write writes (or reuses) the debug file for req.Binary and returns what
// stap needs. Concurrent calls for the same binary are safe: the file only
// ever gains sites, under a lock, and is replaced by rename.
func Write(req Request) (*Result, error) {
	dir, err := cacheDir(req)
	if err != nil {
		return nil, err
	}
	raw, err := os.Open(req.Binary)
	if err != nil {
		return nil, fmt.Errorf("symfile: %w", err)
	}
	defer raw.Close()
	f, err := elf.NewFile(raw)
	if err != nil {
		return nil, fmt.Errorf("symfile: %s: %w", req.Binary, err)
	}
	if f.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("%w: %s is %v, not amd64", ErrUnsupported, req.Binary, f.Machine)
	}
	if f.Section(".debug_info") != nil || f.Section(".symtab") != nil {
		return nil, fmt.Errorf("%w: %s", ErrHasDebugInfo, req.Binary)
	}
	st, err := raw.Stat()
	if err != nil {
		return nil, fmt.Errorf("symfile: %w", err)
	}

	names := probeNames(req.Funcs, req.Sites)
	p := debugPath(dir, req.Binary, req.BuildID)
	stamp := fmt.Sprintf("%sfuncs=%d", binaryStamp(st), len(req.Funcs))
	for _, sub := range req.Subs {
		if err := sub.check(); err != nil {
			return nil, err
		}
	}
	if err := update(p, stamp, req.Sites, req.Subs, func(sites []uint64, subs []Sub) ([]byte, error) {
		return debugFile(f, raw, names.symbols(req.Funcs, sites), stamp, sites, subs)
	}); err != nil {
		return nil, err
	}
	return &Result{File: p, Env: "SYSTEMTAP_DEBUGINFO_PATH=" + searchPath(os.Getenv("SYSTEMTAP_DEBUGINFO_PATH"), dir), Names: names.byAddr}, nil
}

// cacheDir is the absolute directory req's debug file goes in.
func cacheDir(req Request) (string, error) {
	if !filepath.IsAbs(req.Binary) {
		return "", fmt.Errorf("symfile: binary path %q is not absolute", req.Binary)
	}
	dir := req.CacheDir
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("symfile: %w", err)
	}
	return dir, nil
}

// binaryStamp is what of the binary a debug file was made from, the
// format first: the rest of the stamp (the function count) follows from
// the binary.
func binaryStamp(st os.FileInfo) string {
	return fmt.Sprintf("v%d size=%d mtime=%d ", formatVersion, st.Size(), st.ModTime().UnixNano())
}

// Reuse is Write for a caller that already knows the names of the
// addresses it probes (kept from an earlier Write for the same binary and
// stapgen): without the function table, it checks only that the debug
// file was written for this binary and holds every site, and returns the
// file and environment, Names nil. false means Write is needed.
func Reuse(req Request) (*Result, bool) {
	dir, err := cacheDir(req)
	if err != nil {
		return nil, false
	}
	st, err := os.Stat(req.Binary)
	if err != nil {
		return nil, false
	}
	p := debugPath(dir, req.Binary, req.BuildID)
	have, ok := existingSites(p, func(stamp string) bool { return strings.HasPrefix(stamp, binaryStamp(st)) })
	if !ok || !have.holds(req.Sites, req.Subs) {
		return nil, false
	}
	return &Result{File: p, Env: "SYSTEMTAP_DEBUGINFO_PATH=" + searchPath(os.Getenv("SYSTEMTAP_DEBUGINFO_PATH"), dir)}, true
}

// debugPath is where libdwfl looks for the debug file of bin under dir:
// by build-id when there is one, else by the binary's absolute path with
// ".debug" appended (the name libdwfl invents when a binary has no
// .gnu_debuglink).
func debugPath(dir, bin, buildID string) string {
	if len(buildID) > 2 {
		return filepath.Join(dir, ".build-id", buildID[:2], buildID[2:]+".debug")
	}
	return filepath.Join(dir, bin+".debug")
}

// searchPath appends dir to the debuginfo path stap would otherwise use.
func searchPath(env, dir string) string {
	if env == "" {
		env = DefaultDebuginfoPath
	}
	for _, e := range strings.Split(strings.TrimLeft(env, "+-"), ":") {
		if strings.TrimLeft(e, "+-") == dir {
			return env
		}
	}
	return env + ":" + dir
}

// nameTable is the naming decision for one binary.
type nameTable struct {
	byAddr  map[uint64]string
	entries map[uint64]bool // entries whose name stap cannot take as is
}

// probeNames names every entry and site. An entry keeps its own name, or
// its Pattern when it has wildcard characters; it gets an alias when the
// name is shared, holds '@' or "::" (stap splits the spec there) or its
// pattern is ambiguous. A site that is no entry always gets an alias.
func probeNames(funcs []Func, sites []uint64) nameTable {
	all := make([]string, len(funcs))
	count := make(map[string]int, len(funcs))
	for i, fn := range funcs {
		all[i] = fn.Name
		count[fn.Name]++
	}
	m := NewMatcher(all)
	t := nameTable{byAddr: make(map[uint64]string, len(funcs)+len(sites)), entries: map[uint64]bool{}}
	for _, fn := range funcs {
		name, ok := "", count[fn.Name] == 1 && !strings.Contains(fn.Name, "@") && !strings.Contains(fn.Name, "::") && fn.Name != ""
		if ok {
			name, ok = m.Pattern(fn.Name)
		}
		if !ok {
			name = alias(fn.Entry)
			t.entries[fn.Entry] = true
		}
		if _, dup := t.byAddr[fn.Entry]; !dup {
			t.byAddr[fn.Entry] = name
		}
	}
	for _, a := range sites {
		if _, ok := t.byAddr[a]; !ok {
			t.byAddr[a] = alias(a)
		}
	}
	return t
}

func alias(a uint64) string { return fmt.Sprintf("%s0x%x", AliasPrefix, a) }

// symbols is the generated .symtab: every function under its own name,
// then a one-byte alias for each site, and for each entry, that has no
// usable name of its own. Sites may include ones an earlier request added.
func (t nameTable) symbols(funcs []Func, sites []uint64) []symbol {
	syms := make([]symbol, 0, len(funcs)+len(sites)+len(t.entries))
	for _, fn := range funcs {
		size := uint64(0)
		if fn.End > fn.Entry {
			size = fn.End - fn.Entry
		}
		syms = append(syms, symbol{fn.Name, fn.Entry, size})
	}
	extra := append([]uint64(nil), sites...)
	for a := range t.entries {
		extra = append(extra, a)
	}
	for _, a := range sortedUnique(extra) {
		if n, ok := t.byAddr[a]; ok && !strings.HasPrefix(n, AliasPrefix) {
			continue
		}
		syms = append(syms, symbol{alias(a), a, 1})
	}
	return syms
}

func sortedUnique(xs []uint64) []uint64 {
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
