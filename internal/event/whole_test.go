package event

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWholeJSON: the tokens of a whole value nest into one object, members
// by name, a followed pointer with its pointee; other fields stay flat.
func TestWholeJSON(t *testing.T) {
	part := func(path ...string) *Part {
		p := &Part{Whole: "d$$", Type: "struct dentry"}
		for i := 0; i+1 < len(path); i += 2 {
			p.Path = append(p.Path, PartStep{Name: path[i], Type: path[i+1]})
		}
		return p
	}
	s := &Schema{Version: 1, Probes: []ProbeSchema{{Function: "f", Site: SiteEntry, Fields: []FieldSchema{
		{Name: "flags", Enc: EncUint, Type: "unsigned int"},
		{Name: "d.d_flags", Enc: EncUint, Type: "unsigned int", Part: part("d_flags", "unsigned int")},
		{Name: "d.d_name.len", Enc: EncUint, Type: "u32", Part: part("d_name", "struct qstr", "len", "u32")},
		{Name: "d.d_name.name", Enc: EncStr, Type: "char const*", Part: part("d_name", "struct qstr", "name", "char const*")},
		{Name: "d.d_inode", Enc: EncPtr, Type: "struct inode*", Part: part("d_inode", "struct inode*")},
		{Name: "d.d_inode.i_ino", Enc: EncUint, Type: "unsigned long", Part: part("d_inode", "struct inode*", "*", "struct inode", "i_ino", "unsigned long")},
		{Name: "d.d_op", Enc: EncPtr, Type: "struct dentry_operations const*", Part: part("d_op", "struct dentry_operations const*")},
		{Name: "n", Enc: EncInt, Type: "int"},
	}}}}
	e, err := NewDecoder(strings.NewReader("@@sg1 0 1 0 2 2 - 4 16 3 3:746d70 0xff00 77 ! -1\n"), s).Next()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	var m struct {
		Fields map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	want := map[string]string{
		"flags": `{"type":"unsigned int","value":4}`,
		"d$$": `{"type":"struct dentry","value":{"d_flags":{"type":"unsigned int","value":16},` +
			`"d_name":{"type":"struct qstr","value":{"len":{"type":"u32","value":3},"name":{"type":"char const*","value":"tmp","len":3}}},` +
			`"d_inode":{"type":"struct inode*","value":"0xff00","pointee":{"type":"struct inode","value":{"i_ino":{"type":"unsigned long","value":77}}}},` +
			`"d_op":{"type":"struct dentry_operations const*","missing":true}}}`,
		"n": `{"type":"int","value":-1}`,
	}
	if len(m.Fields) != len(want) {
		t.Errorf("fields %s, want keys flags, d$$, n", b)
	}
	for k, w := range want {
		if string(m.Fields[k]) != w {
			t.Errorf("%s = %s\nwant %s", k, m.Fields[k], w)
		}
	}
}

// TestWholeSchemaRoundTrip: a script's header carries the schema as JSON;
// decoding a saved run (stapgen decode --script) nests a whole value as
// the run itself did.
func TestWholeSchemaRoundTrip(t *testing.T) {
	s := Schema{Version: 1, Probes: []ProbeSchema{{Function: "f", Site: SiteEntry, Fields: []FieldSchema{
		{Name: "q.len", Enc: EncUint, Type: "u32", Part: &Part{Whole: "q$", Type: "struct qstr", Path: []PartStep{{Name: "len", Type: "u32"}}}},
	}}}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Schema
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	e, err := NewDecoder(strings.NewReader("@@sg1 0 1 0 2 2 - 3\n"), &back).Next()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(e.AppendJSON(nil)), `"fields":{"q$":{"type":"struct qstr","value":{"len":{"type":"u32","value":3}}}}}`; !strings.HasSuffix(got, want) {
		t.Errorf("%s\nwant …%s", got, want)
	}
}
