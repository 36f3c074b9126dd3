package gosource

import (
	"fmt"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/goabi"
)

// FrameMismatchError refuses source types whose argument frame differs
// from the one the binary's function table records.
type FrameMismatchError struct {
	Func   string
	Origin string
	Source int64 // ABI0 frame of the source's types
	Binary int64 // _func.args
}

func (e *FrameMismatchError) Error() string {
	return fmt.Sprintf("%s: types from %s need a %d-byte argument frame, the binary's function table says %d: refusing them",
		e.Func, e.Origin, e.Source, e.Binary)
}

// UnknownTypeError is a signature with a type the source did not resolve.
type UnknownTypeError struct {
	Func, Var, Reason string
}

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("%s: %s: type not resolved from source: %s", e.Func, e.Var, e.Reason)
}

// Frame is the argument size the compiler records in the function table
// (_func.args, the TEXT directive's argsize) for params (receiver first)
// and results under the calling convention o: the stack-assigned values,
// laid out as goabi assigns them and rounded to a pointer, plus a spill
// slot for each register-assigned parameter (results get none), each at
// its type's alignment, rounded to a pointer (cmd/compile's
// ABIParamResultInfo.ArgWidth). With o.ABI0 everything is on the stack
// and this is the ABI0 frame.
func Frame(params, results []*debuginfo.Type, o goabi.Options) (int64, error) {
	for _, t := range append(append([]*debuginfo.Type{}, params...), results...) {
		if r := unknownReason(t, 0); r != "" {
			return 0, fmt.Errorf("no frame size: %s", r)
		}
	}
	in, out, err := goabi.Assign(params, results, o)
	if err != nil {
		return 0, err
	}
	var stack, spill int64
	for i, l := range in {
		if l.Stack {
			stack = max(stack, l.Off+params[i].Size)
			continue
		}
		spill = roundUp(spill, alignOf(params[i])) + params[i].Size
	}
	if len(in) > 0 {
		stack = roundUp(stack, ptrSize)
	}
	for i, l := range out {
		if l.Stack {
			stack = max(stack, l.Off+results[i].Size)
		}
	}
	return roundUp(stack, ptrSize) + roundUp(spill, ptrSize), nil
}

func (s *Signature) types() (params, results []*debuginfo.Type) {
	for _, v := range s.Params {
		params = append(params, v.Type)
	}
	for _, v := range s.Results {
		results = append(results, v.Type)
	}
	return params, results
}

// Unknown returns an *UnknownTypeError for the first variable whose
// type source did not resolve, nil when every type is known.
func (s *Signature) Unknown() error {
	for _, v := range append(append([]debuginfo.Variable{}, s.Params...), s.Results...) {
		if r := unknownReason(v.Type, 0); r != "" {
			return &UnknownTypeError{Func: s.Func, Var: v.Name, Reason: r}
		}
	}
	return nil
}

// Frame is the function table's argument size for the signature (see
// Frame).
func (s *Signature) Frame(o goabi.Options) (int64, error) {
	if err := s.Unknown(); err != nil {
		return 0, err
	}
	p, r := s.types()
	return Frame(p, r, o)
}

// Check compares the signature with the argument size the binary's
// function table records for the function (_func.args) under calling
// convention o; a negative args (assembly without a declared size) is
// not checked. An assembly function's entry is either its ABI0 body,
// whose size the TEXT directive gives unrounded ($0-20), or the
// register-ABI wrapper the compiler makes for Go callers.
func (s *Signature) Check(args int64, o goabi.Options) error {
	n, err := s.Frame(o)
	if err != nil {
		return err
	}
	if args < 0 || n == args {
		return nil
	}
	if s.Assembly && args == 0 {
		// TEXT ·procyield(SB),NOSPLIT,$0-0 declares no argument
		// size although the Go declaration has one: unverifiable.
		return nil
	}
	if s.Assembly {
		n0, err := s.Frame(goabi.Options{ABI0: true})
		if err != nil {
			return err
		}
		if args <= n0 && roundUp(args, ptrSize) == n0 {
			return nil
		}
	}
	return &FrameMismatchError{Func: s.Func, Origin: s.Origin, Source: n, Binary: args}
}

// Apply gives f the signature's types (copies, so the caller may keep
// both).
func (s *Signature) Apply(f *debuginfo.Function) {
	f.Params = append([]debuginfo.Variable(nil), s.Params...)
	f.Results = append([]debuginfo.Variable(nil), s.Results...)
	f.NoTypes = false
}
