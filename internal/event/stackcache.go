package event

import (
	"bytes"
	"slices"
	"sync/atomic"
)

// stackCache is the last backtrace decoded for one field of one probe:
// the same call path prints the same backtrace record after record, and
// parsing its addresses and interning its frame names was a large share
// of decoding kernel records. A token equal to the last one gets the
// last one's words and names copied, which parsing it again would give.
type stackCache struct {
	tok    []byte
	stack  []uint64
	frames []string
	// nilStack, nilFrames keep the nil of a "-" stack and of a stack
	// without names, which JSON tells apart from empty ones.
	nilStack, nilFrames bool
	ok                  bool
	// json is the cached stack's JSON, made once its token repeats:
	// writing the same addresses and names record after record was most
	// of what a backtrace still cost. It is read by the JSON of events
	// any goroutine may hold, so it is never changed, only replaced.
	json atomic.Pointer[stackJSON]
}

// stackJSON is the JSON of a stack's value and frames, and the stack it
// is of: an event's value gets it only when equal to it (is), whatever
// was done to the value after decoding.
type stackJSON struct {
	stack  []uint64
	frames []string
	json   []byte
}

func newStackJSON(stack []uint64, frames []string) *stackJSON {
	j := &stackJSON{stack: slices.Clone(stack), frames: slices.Clone(frames)}
	j.json = appendFrames(appendStack(nil, j.stack), j.frames)
	return j
}

func (j *stackJSON) is(v *Value) bool {
	return slices.Equal(v.Stack, j.stack) && (v.Frames == nil) == (j.frames == nil) && slices.Equal(v.Frames, j.frames)
}

// stackInto is decodeInto for a backtrace field, through c.
func (c *stackCache) stackInto(v *Value, fs *FieldSchema, tok []byte, a *slab) error {
	if !c.ok || !bytes.Equal(tok, c.tok) {
		if err := decodeInto(v, fs, tok, a); err != nil || v.Missing {
			c.ok = false
			return err
		}
		c.tok = append(c.tok[:0], tok...)
		c.stack = append(c.stack[:0], v.Stack...)
		c.frames = append(c.frames[:0], v.Frames...)
		c.nilStack, c.nilFrames, c.ok = v.Stack == nil, v.Frames == nil, true
		c.json.Store(nil)
		return nil
	}
	v.Name, v.Type, v.Enc, v.Part = fs.Name, fs.Type, fs.Enc, fs.Part
	if !c.nilStack {
		v.Stack = a.wordSlice(len(c.stack))
		copy(v.Stack, c.stack)
	}
	if !c.nilFrames {
		v.Frames = a.strSlice(len(c.frames))
		copy(v.Frames, c.frames)
	}
	if c.json.Load() == nil {
		c.json.Store(newStackJSON(v.Stack, v.Frames))
	}
	return nil
}
