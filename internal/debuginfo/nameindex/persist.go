package nameindex

import "debug/dwarf"

// persisted is the form an Index is saved in: lists, not maps. gob sizes
// a map by the count the file claims before it reads one entry
// (reflect.MakeMapWithSize), so a damaged cache file of a few hundred
// bytes made Load allocate 5 GB; a list's length is checked against the
// bytes that follow.
type persisted struct {
	ByName  []namedRefs
	Names   []string
	Types   []typeOff
	Qual    []offName
	Linkage []linkName
}

type namedRefs struct {
	Name string
	Refs []Ref
}

type typeOff struct {
	Key string
	Off dwarf.Offset
}

type offName struct {
	Off  dwarf.Offset
	Name string
}

type linkName struct{ Linkage, Name string }

func (n *Index) persisted() *persisted {
	p := &persisted{Names: n.Names}
	for k, v := range n.ByName {
		p.ByName = append(p.ByName, namedRefs{k, v})
	}
	for k, v := range n.Types {
		p.Types = append(p.Types, typeOff{k, v})
	}
	for k, v := range n.Qual {
		p.Qual = append(p.Qual, offName{k, v})
	}
	for k, v := range n.Linkage {
		p.Linkage = append(p.Linkage, linkName{k, v})
	}
	return p
}

func (p *persisted) index() *Index {
	n := &Index{Names: p.Names, ByName: make(map[string][]Ref, len(p.ByName)), Types: make(map[string]dwarf.Offset, len(p.Types)),
		Qual: make(map[dwarf.Offset]string, len(p.Qual)), Linkage: make(map[string]string, len(p.Linkage))}
	for _, e := range p.ByName {
		n.ByName[e.Name] = e.Refs
	}
	for _, e := range p.Types {
		n.Types[e.Key] = e.Off
	}
	for _, e := range p.Qual {
		n.Qual[e.Off] = e.Name
	}
	for _, e := range p.Linkage {
		n.Linkage[e.Linkage] = e.Name
	}
	return n
}
