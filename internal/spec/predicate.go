package spec

import (
	"strconv"
)

// Op is a comparison operator of a predicate.
type Op string

const (
	OpEq Op = "=="
	OpNe Op = "!="
	OpLt Op = "<"
	OpLe Op = "<="
	OpGt Op = ">"
	OpGe Op = ">="
)

// Predicate is one test of a value: "PATH OP LITERAL" (`flags > 0`,
// `name->name == "foo"`), a bitmask test "(PATH & MASK) OP INT", or a
// truth test "PATH" / "PATH & MASK" (not zero).
type Predicate struct {
	Path Path
	Op   Op
	// Exactly one literal kind is set: IsString selects Str, else Int.
	IsString bool
	Str      string
	Int      int64
	// HasMask tests Path & Mask instead of Path.
	HasMask bool
	Mask    int64
	// Truth is a test written without an operator: Op is != and Int 0.
	Truth bool
}

func (Predicate) isFilterExpr() {}

func (p Predicate) String() string {
	x := p.Path.String()
	if p.HasMask {
		x += " & " + strconv.FormatInt(p.Mask, 10)
		if !p.Truth {
			x = "(" + x + ")"
		}
	}
	if p.Truth {
		return x
	}
	if p.IsString {
		return x + " " + string(p.Op) + " " + strconv.Quote(p.Str)
	}
	return x + " " + string(p.Op) + " " + strconv.FormatInt(p.Int, 10)
}
