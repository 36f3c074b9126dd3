package event

// Enc is how one field is printed in a record; see the package doc.
type Enc string

const (
	EncInt   Enc = "int"
	EncUint  Enc = "uint"
	EncPtr   Enc = "ptr"
	EncBool  Enc = "bool"
	EncStr   Enc = "str"
	EncSlice Enc = "slice"
	EncIface Enc = "iface"
	EncStack Enc = "stack"
	EncDyn   Enc = "dyn" // a Go interface by its dynamic type (goval.go)
	// EncDynWords is a Go interface as the BPF runtime reads it, which
	// cannot follow a type's name: its dynamic type's descriptor, its data
	// word and the word the data word points at, the type named after
	// decoding from the binary (DynType).
	EncDynWords Enc = "dynw"
	// EncFloat is a floating-point value: "f" and a float64's bits in hex, or
	// "g" and a float32's. stap reads a C float or double ($var, $return)
	// as a double's bits (a float widened), so those print with "f".
	EncFloat Enc = "float"
	// EncEnum is a C enum's value in signed decimal, named by the field's
	// Enums.
	EncEnum Enc = "enum"
	EncMap  Enc = "map"  // a Go map's length and first entries (gomap.go)
	EncTime Enc = "time" // a Go time.Time's words: WALL/EXT/0xLOC
)

// The names of backtrace fields, which the folded-stack report counts.
const (
	KernelStack = "kernel_stack"
	UserStack   = "user_stack"
)

// Site says where in a function a probe fires.
type Site string

const (
	SiteEntry  Site = "entry"
	SiteReturn Site = "return"
	SiteLine   Site = "line"
)

// Schema is the record layout of one generated script.
type Schema struct {
	// Version of the record format; 1.
	Version int `json:"version"`
	// Probes are indexed by the PROBE column of a record.
	Probes []ProbeSchema `json:"probes"`
	// Chunked output (stapbpf's) prefixes every print with "\x1fCPU|";
	// the decoder joins each CPU's pieces into its lines.
	Chunked bool `json:"chunked,omitempty"`
	// RawStrings: the records (the kernel runtime's, not Chunked) may
	// hold C strings printed raw, 0x1d ":" BOUND ["+"] ":" BYTES NUL, and
	// Go strings, 0x1d "g:" BOUND ":" LEN ":" BYTES, which the decoder
	// turns into their hex tokens before it splits lines (rawstr.go,
	// rawgo.go). Chunked output always may.
	RawStrings bool `json:"raw_strings,omitempty"`
	// Binary is the user-space binary the records are of, and BuildID its
	// build-id: what stapgen decode names frames and Go types from when
	// no --symbols is given, once the file there is shown to be it.
	Binary  string `json:"binary,omitempty"`
	BuildID string `json:"build_id,omitempty"`
}

// ProbeSchema describes the records one probe handler prints.
type ProbeSchema struct {
	// Function is the probed function ("lookup_one_qstr_excl").
	Function string `json:"function"`
	Site     Site   `json:"site"`
	// Fields in the order their tokens appear.
	Fields []FieldSchema `json:"fields"`
	// Restart is the [start, end) of a Go entry probe's morestack stub,
	// for the decoder to drop a firing the runtime restarts (restart.go).
	Restart []uint64 `json:"restart,omitempty"`
	// Stat says what the probe's keyed or summed statistic is (stat.go).
	Stat *StatSchema `json:"stat,omitempty"`
}

// FieldSchema describes one token.
type FieldSchema struct {
	// Name is the user-facing path of the value: "name->name", "o.Name", "~r0".
	Name string `json:"name"`
	Enc  Enc    `json:"enc"`
	// ElemEnc is the encoding of slice elements.
	ElemEnc Enc `json:"elem_enc,omitempty"`
	// Type is the source-language type spelling, for display.
	Type string `json:"type"`
	// Part places the token inside a whole value (a path printed with $
	// or $$); nil for a value of its own.
	Part *Part `json:"part,omitempty"`
	// Enums name the values of an EncEnum field.
	Enums []Enumerator `json:"enums,omitempty"`
	// Max bounds the bytes of a string kept (--strlen): the BPF runtime
	// reads whole words, which may reach past it.
	Max int `json:"max,omitempty"`
}

// Part is where a token sits in a whole value: the JSON of an event nests
// the tokens of one whole value into one object under the key Whole.
type Part struct {
	// Whole is the whole value's key in an event's fields ("name$$"),
	// Type its type.
	Whole string `json:"whole"`
	Type  string `json:"type"`
	// Path leads from the whole value to the token: member names, "*" for
	// the value a pointer points to, each with the type of what it reaches.
	Path []PartStep `json:"path"`
}

// PartStep is one member (or "*", a pointee) on a Part's path.
type PartStep struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Enumerator is one named value of a C enum.
type Enumerator struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}
