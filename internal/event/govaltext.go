package event

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// String is the value as the program's own fmt %v prints it, where the
// type is one the decoder knows; otherwise the type name and what was read
// of it, in a form no %v output has ("<T 0xDATA>").
func (g *GoValue) String() string {
	if g.Type == "" && g.TypeWord == 0 {
		return "<nil>"
	}
	s, ok := g.format()
	if !ok {
		var parts []string
		for _, p := range g.Parts {
			parts = append(parts, p.String())
		}
		// "?": the type is unnamed (unreadable, or a dynw value no
		// binary named).
		s = fmt.Sprintf("<%s 0x%x%s>", cmp.Or(g.Type, "?"), g.DataWord, strings.Join(append([]string{""}, parts...), " "))
	}
	if g.Truncated {
		s += "…"
	}
	return s
}

// String is one part as %v prints it.
func (p GoPart) String() string {
	switch p.Kind {
	case 's':
		s := string(p.Str)
		if int64(len(p.Str)) < p.Len {
			s += "…"
		}
		return s
	case 'i':
		return strconv.FormatInt(p.Int, 10)
	case 'b':
		return strconv.FormatBool(p.Int != 0)
	case 'u':
		return strconv.FormatUint(p.Uint, 10)
	case 'f':
		return strconv.FormatFloat(p.Float, 'g', -1, 64)
	case 'g':
		return strconv.FormatFloat(p.Float, 'g', -1, 32)
	case 'd':
		return p.Dyn.String()
	}
	return "!"
}

// format spells g as fmt's %v does for the standard library's error types
// (their Error methods' own rules), time's types, and values whose kind the
// script read them by (numbers, strings, bools).
func (g *GoValue) format() (string, bool) {
	ps := g.Parts
	str := func(i int) string {
		if i < len(ps) {
			return ps[i].String()
		}
		return "…"
	}
	isNil := func(i int) bool { return i < len(ps) && ps[i].Kind == 'd' && ps[i].Dyn.TypeWord == 0 }
	switch g.Type {
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors":
		return str(0), len(ps) > 0
	case "*fs.PathError":
		return str(0) + " " + str(1) + ": " + str(2), len(ps) > 0
	case "*os.SyscallError":
		return str(0) + ": " + str(1), len(ps) > 0
	case "*net.OpError":
		if len(ps) == 0 {
			return "", false
		}
		s := str(0)
		if str(1) != "" {
			s += " " + str(1)
		}
		if !isNil(2) {
			s += " " + str(2)
		}
		if !isNil(3) {
			if !isNil(2) {
				s += "->"
			} else {
				s += " "
			}
			s += str(3)
		}
		return s + ": " + str(4), true
	case "context.deadlineExceededError":
		return "context deadline exceeded", true
	case "syscall.Errno":
		if len(ps) == 1 && ps[0].Kind == 'u' {
			return errnoText(ps[0].Uint), true
		}
	case "time.Duration":
		if len(ps) == 1 && ps[0].Kind == 'i' {
			return durationText(ps[0].Int), true
		}
	case "time.Time":
		if len(ps) == 3 && ps[0].Kind == 'u' && ps[1].Kind == 'u' && ps[2].Kind == 'u' && ps[2].Uint == 0 {
			return timeText(ps[0].Uint, int64(ps[1].Uint)), true
		}
		return "", false
	case "bool":
		if len(ps) == 1 && ps[0].Kind == 'i' {
			return strconv.FormatBool(ps[0].Int != 0), true
		}
	case "complex128", "complex64":
		if len(ps) == 2 {
			bits := 64
			if g.Type == "complex64" {
				bits = 32
			}
			im := strconv.FormatFloat(ps[1].Float, 'g', -1, bits)
			if im[0] != '-' && im[0] != '+' {
				im = "+" + im
			}
			return "(" + strconv.FormatFloat(ps[0].Float, 'g', -1, bits) + im + "i)", true
		}
	}
	if len(ps) == 1 && strings.IndexByte("siufg", ps[0].Kind) >= 0 {
		// A number or string read by its kind: a named type with a String
		// method would print otherwise, which the decoder cannot know.
		return str(0), true
	}
	return "", false
}
