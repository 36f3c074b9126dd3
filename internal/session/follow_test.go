package session

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFollowerWakesOnWrite: a follower waiting at the end of the records
// file reads what stap writes next because the write woke it, not a poll:
// its poll here is an hour.
func TestFollowerWakesOnWrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "records")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wake, stop := watchWrites(p)
	defer stop()
	if wake == nil {
		t.Fatal("inotify cannot watch a file in the temporary directory")
	}
	waiting := make(chan struct{}, 1)
	r := &follower{f: f, done: make(chan struct{}), wake: wake, poll: time.Hour, waiting: waiting}
	got := make(chan string)
	go func() {
		b := make([]byte, 64)
		n, _ := r.Read(b)
		got <- string(b[:n])
	}()
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	<-waiting // it found the file empty and waits
	if _, err := w.WriteString("@@sg1 0 1 1 1 1 -\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "@@sg1 0 1 1 1 1 -\n" {
			t.Errorf("read %q", s)
		}
	case <-time.After(time.Minute):
		t.Fatal("the follower was not woken by the write")
	}
}
