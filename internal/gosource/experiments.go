package gosource

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
)

// experimentTags are the goexperiment.* build tags a binary was built
// with: the toolchain's baseline, read from its own
// internal/buildcfg/exp.go (Go 1.26's runtime picks its GC files by
// goexperiment.greenteagc), changed by the GOEXPERIMENT the build info
// records. Reading the baseline from the same source keeps it right for
// every version without a table.
func experimentTags(goRootSrc string, buildSetting string) []string {
	on := map[string]bool{}
	if goRootSrc != "" {
		for k, v := range baselineExperiments(filepath.Join(goRootSrc, "internal", "buildcfg", "exp.go")) {
			on[k] = v
		}
	}
	for _, x := range strings.Split(buildSetting, ",") {
		x = strings.ToLower(strings.TrimSpace(x))
		if x == "" {
			continue
		}
		if name, ok := strings.CutPrefix(x, "no"); ok {
			on[name] = false
			continue
		}
		on[x] = true
	}
	var tags []string
	for k, v := range on {
		if v {
			tags = append(tags, "goexperiment."+k)
		}
	}
	return tags
}

// baselineExperiments reads the `baseline := goexperiment.Flags{...}`
// literal. A value other than the literal false is a condition on the
// platform (regabiSupported, dwarf5Supported), all true on linux/amd64.
func baselineExperiments(path string) map[string]bool {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		if id, ok := as.Lhs[0].(*ast.Ident); !ok || id.Name != "baseline" {
			return true
		}
		cl, ok := as.Rhs[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, e := range cl.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			k, ok := kv.Key.(*ast.Ident)
			if !ok {
				continue
			}
			v, isIdent := kv.Value.(*ast.Ident)
			out[strings.ToLower(k.Name)] = !(isIdent && v.Name == "false")
		}
		return false
	})
	return out
}
