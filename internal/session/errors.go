package session

// Stage names the input of a session that failed, so a caller can tell the
// user which of its options to change.
type Stage int

const (
	// StageResolve is finding the target's file ("kernel" → its vmlinux).
	StageResolve Stage = iota + 1
	// StageTargetFile is the target file itself (missing, unreadable).
	StageTargetFile
	// StageTemplates is loading a template directory.
	StageTemplates
)

// Error is a failure at one stage. Its message is the inner error's: the
// stage is for the caller's hint, not for the user to read twice.
type Error struct {
	Stage Stage
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }
