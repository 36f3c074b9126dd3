package plan

import (
	"slices"
	"testing"
)

// TestBPFSplit: every string or slice but the first starts a handler;
// scalars stay with the handler before them.
func TestBPFSplit(t *testing.T) {
	s, i := Field{Value: Bytes{}}, Field{Value: Int{}}
	for _, c := range []struct {
		fields []Field
		want   []int
	}{
		{nil, nil},
		{[]Field{i, i}, nil},
		{[]Field{s, i}, nil},
		{[]Field{i, s, s, s, i, s}, []int{2, 3, 5}},
		{[]Field{{Value: CString{}}, {Value: Slice{}}}, []int{1}},
	} {
		if got := bpfSplit(c.fields); !slices.Equal(got, c.want) {
			t.Errorf("bpfSplit(%v) = %v, want %v", c.fields, got, c.want)
		}
	}
}

// TestBPFReturnSplit: at a C return every value after a string or slice
// starts a handler, as does every string or slice but a first value.
func TestBPFReturnSplit(t *testing.T) {
	s, i := Field{Value: CString{}}, Field{Value: Int{}}
	for _, c := range []struct {
		fields []Field
		want   []int
	}{
		{nil, nil},
		{[]Field{i, i, i}, nil},
		{[]Field{s, i, i}, []int{1}},
		{[]Field{i, s, i, i}, []int{1, 2}},
		{[]Field{s, s}, []int{1}},
	} {
		if got := bpfReturnSplit(c.fields); !slices.Equal(got, c.want) {
			t.Errorf("bpfReturnSplit(%v) = %v, want %v", c.fields, got, c.want)
		}
	}
}

// TestBPFFilteredSplit: under a filter every string or slice has a
// handler to itself, and a record starting with one gives its head a
// handler of its own (the leading 0).
func TestBPFFilteredSplit(t *testing.T) {
	s, i := Field{Value: CString{}}, Field{Value: Int{}}
	for _, c := range []struct {
		fields []Field
		want   []int
	}{
		{nil, nil},
		{[]Field{i, i}, nil},
		{[]Field{s}, []int{0}},
		{[]Field{i, s, i, i}, []int{1, 2}},
		{[]Field{s, i, s}, []int{0, 1, 2}},
	} {
		if got := bpfFilteredSplit(c.fields); !slices.Equal(got, c.want) {
			t.Errorf("bpfFilteredSplit(%v) = %v, want %v", c.fields, got, c.want)
		}
	}
}
