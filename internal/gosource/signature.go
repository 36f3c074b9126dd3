package gosource

import (
	"fmt"
	"go/ast"
	"go/parser"
	"strconv"
	"strings"

	"github.com/stapgen/stapgen/internal/debuginfo"
)

// SignatureError is a --signature that does not parse as a Go func type.
type SignatureError struct {
	Text string
	Err  error
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("--signature %q: %v", e.Text, e.Err)
}

func (e *SignatureError) Unwrap() error { return e.Err }

// maxSignature bounds a --signature; real ones are a line.
const maxSignature = 4096

// parseFuncType parses "func(a, b string) (err error)"; the "func"
// keyword may be left out.
func parseFuncType(text string) (*ast.FuncType, error) {
	bad := func(err error) (*ast.FuncType, error) { return nil, &SignatureError{Text: text, Err: err} }
	if len(text) > maxSignature {
		return bad(fmt.Errorf("longer than %d bytes", maxSignature))
	}
	src := strings.TrimSpace(text)
	if !strings.HasPrefix(src, "func") {
		src = "func" + src
	}
	e, err := parser.ParseExpr(src)
	if err != nil {
		return bad(err)
	}
	ft, ok := e.(*ast.FuncType)
	if !ok {
		return bad(fmt.Errorf("not a func type (write func(name type, ...) (result type))"))
	}
	if ft.TypeParams != nil {
		return bad(fmt.Errorf("type parameters: give the instantiated types"))
	}
	return ft, nil
}

// ParseSignature turns a --signature into parameters and results.
// Predeclared types, unsafe.Pointer and the header types resolve without
// source; other named types come back as unknown (see IsUnknown) unless
// Resolver.Func resolves them from source.
func ParseSignature(text string) (params, results []debuginfo.Variable, err error) {
	ft, err := parseFuncType(text)
	if err != nil {
		return nil, nil, err
	}
	s := scope{c: &converter{names: runtimeNames("")}}
	params, results = s.variables(nil, ft)
	s.c.drain()
	return params, results, nil
}

// variables builds a function's parameters (receiver first) and results,
// named as Go's DWARF names them: unnamed and blank parameters "~p<i>",
// unnamed and blank results "~r<i>", i counting within its list.
func (s scope) variables(recv *debuginfo.Variable, ft *ast.FuncType) (params, results []debuginfo.Variable) {
	if recv != nil {
		params = append(params, *recv)
	}
	add := func(fl *ast.FieldList, prefix string, result bool, out *[]debuginfo.Variable) {
		if fl == nil {
			return
		}
		i := 0
		for _, f := range fl.List {
			t := s.typeOf(f.Type, 0)
			names := f.Names
			if len(names) == 0 {
				names = []*ast.Ident{{Name: "_"}}
			}
			for _, n := range names {
				name := n.Name
				if name == "_" {
					name = prefix + strconv.Itoa(i)
				}
				*out = append(*out, debuginfo.Variable{Name: name, Type: t, Result: result})
				i++
			}
		}
	}
	add(ft.Params, "~p", false, &params)
	add(ft.Results, "~r", true, &results)
	return params, results
}
