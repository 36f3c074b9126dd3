package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stapgen/stapgen/internal/debuginfo"
	"github.com/stapgen/stapgen/internal/target"
)

func main() {
	t0 := time.Now()
	b, err := target.Open(os.Args[1])
	if err != nil {
		fmt.Println(err)
		return
	}
	ix, err := debuginfo.OpenWith(b, debuginfo.Options{NoCache: os.Getenv("NOCACHE") != "", CacheDir: "/tmp/stapgen-cache"})
	if err != nil {
		fmt.Println(err)
		return
	}
	t1 := time.Now()
	for _, q := range os.Args[2:] {
		var fns []*debuginfo.Function
		if strings.ContainsAny(q, "*?") {
			fns, err = ix.Match(q)
		} else {
			fns, err = ix.Lookup(q)
		}
		if err != nil {
			fmt.Println("ERR", err)
			continue
		}
		for _, f := range fns {
			var ps []string
			for _, p := range f.Params {
				ps = append(ps, fmt.Sprintf("$%s:%s [%s%v]", p.Name, p.Type.Name, p.Location, map[bool]string{true: " L"}[p.LocList]))
			}
			var rs []string
			for _, p := range f.Results {
				rs = append(rs, fmt.Sprintf("%s:%s [%s]", p.Name, p.Type.Name, p.Location))
			}
			fmt.Printf("%s@%s:%d %#x-%#x inl=%v %s -> %s\n", f.Name, f.File, f.Line, f.Entry, f.End, f.Inlined, strings.Join(ps, " "), strings.Join(rs, " "))
		}
	}
	fmt.Fprintln(os.Stderr, "open", t1.Sub(t0), "query", time.Since(t1), ix.GoProducer, ix.GoRegABI)
}
