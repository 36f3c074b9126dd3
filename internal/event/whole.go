package event

// appendWhole writes the node of a whole value that vals share the first d
// steps of their paths to: a token's own object where one token ends
// there, {"type":…,"value":{member:…}} for a struct or union, and a
// pointer's token with its pointee under "pointee" when it was followed.
func appendWhole(b []byte, vals []Value, d int, typ string) []byte {
	var leaf *Value
	rest := vals
	if len(vals) > 0 && len(vals[0].Part.Path) == d {
		leaf, rest = &vals[0], vals[1:]
	}
	if len(rest) == 0 {
		if leaf == nil {
			return append(b, "null"...)
		}
		return leaf.AppendJSON(b)
	}
	if leaf != nil {
		b = leaf.AppendJSON(b)
		b = append(b[:len(b)-1], `,"pointee":`...)
		b = appendMembers(b, rest, d)
		return append(b, '}')
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"value":`...)
	return append(appendMembers(b, rest, d), '}')
}

// appendMembers writes vals grouped by their step d: one member object,
// or for a pointee ("*") the pointee's own node.
func appendMembers(b []byte, vals []Value, d int) []byte {
	if s := vals[0].Part.Path[d]; s.Name == "*" {
		return appendWhole(b, vals, d+1, s.Type)
	}
	b = append(b, '{')
	for i := 0; i < len(vals); {
		s := vals[i].Part.Path[d]
		j := i + 1
		for j < len(vals) && len(vals[j].Part.Path) > d && vals[j].Part.Path[d].Name == s.Name {
			j++
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s.Name)
		b = append(b, ':')
		b = appendWhole(b, vals[i:j], d+1, s.Type)
		i = j
	}
	return append(b, '}')
}
