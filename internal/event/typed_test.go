package event

import (
	"encoding/json"
	"strings"
	"testing"
)

// The tokens are the bits stap 5.1 read in the lab VM for rfix's doubles and
// floats (stap widens a float to a double's bits), printed with %x, the
// wanted values what rfix printed for the same calls.
func TestDecodeFloatsAndEnums(t *testing.T) {
	s := &Schema{Version: 1, Probes: []ProbeSchema{{Function: "r", Site: SiteReturn, Fields: []FieldSchema{
		{Name: "d", Enc: EncFloat, Type: "double"},
		{Name: "m", Enc: EncEnum, Type: "enum mood", Enums: []Enumerator{{"CALM", 1}, {"ANGRY", 7}, {"SLEEPY", 42}}},
	}}}}
	for _, tc := range []struct {
		line, text, json string
	}{
		{"f3ff4000000000000 7", "d=1.25 m=ANGRY", `"d":{"type":"double","value":1.25},"m":{"type":"enum mood","value":"ANGRY","int":7}`},
		{"f3fec000000000000 42", "d=0.875 m=SLEEPY", `"value":0.875},"m":{"type":"enum mood","value":"SLEEPY","int":42}`},
		{"f401a800000000000 1", "d=6.625 m=CALM", `"value":6.625}`},
		{"fc000000000000000 3", "d=-2 m=3", `"value":-2},"m":{"type":"enum mood","value":3,"int":3}`},
		{"f7ff8000000000000 ! ", "d=NaN m=!", `"d":{"type":"double","value":"NaN"},"m":{"type":"enum mood","missing":true}`},
		{"f7ff0000000000000 1", "d=+Inf", `"value":"+Inf"}`},
	} {
		d := NewDecoder(strings.NewReader("@@sg1 0 1 0 10 10 - "+tc.line+"\n"), s)
		e, err := d.Next()
		if err != nil || e.Err != "" {
			t.Fatalf("%s: %v %s", tc.line, err, e.Err)
		}
		if !strings.Contains(e.String(), tc.text) {
			t.Errorf("%s: %s, want %s", tc.line, e, tc.text)
		}
		b, _ := json.Marshal(e)
		if !strings.Contains(string(b), tc.json) || !json.Valid(b) {
			t.Errorf("%s: %s\nwant %s", tc.line, b, tc.json)
		}
	}
}
