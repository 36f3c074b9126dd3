package command

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/stapgen/stapgen/internal/event"
	"github.com/stapgen/stapgen/internal/script"
	"github.com/stapgen/stapgen/internal/session"
	"github.com/stapgen/stapgen/internal/stap"
	"github.com/urfave/cli/v2"
)

// recordedBinary is the binary schema's records are of, for naming what
// they print from when no --symbols is given: "" where nothing needs
// names, or where the file at its path cannot be opened or is another
// build (a note says which, and what to pass).
func recordedBinary(env *Env, s *event.Schema, o session.OpenOptions) string {
	if s.Binary == "" || !hasEnc(s, event.EncStack) && !hasEnc(s, event.EncDynWords) {
		return ""
	}
	bin, err := openBinary(s.Binary, o)
	if err != nil {
		fmt.Fprintf(env.Stderr, "stapgen: note: the records are of %s, which cannot be read here (%v): pass --symbols with a copy of it\n", s.Binary, err)
		return ""
	}
	defer bin.Close()
	if s.BuildID != "" && bin.BuildID != s.BuildID {
		fmt.Fprintf(env.Stderr, "stapgen: note: the records are of %s with build-id %s, and the file there now has %s: pass --symbols with the binary they came from\n", s.Binary, s.BuildID, orNone(bin.BuildID))
		return ""
	}
	return s.Binary
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func decodeCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "decode",
		Usage:     "decode saved stap output of a generated script",
		ArgsUsage: "[OUTPUT]",
		Description: `Decodes what a generated script printed (stap -o FILE, or stapgen run --save FILE)
into events. The record schema comes from --script, or from the output itself
when it was saved by stapgen run --save. OUTPUT "-" or none reads standard input.
Backtrace frames and a BPF run's Go interface types are named from --symbols, or
else from the binary the records name, when the file at its path has their build-id.

Examples:
   stap -o out.txt mount.stp -c ./mountd && stapgen decode --script mount.stp out.txt
   stapgen decode --format json saved.out
   stapgen decode --symbols ./daemon saved.out   # names from ./daemon (a copy of the traced binary)`,
		Flags: append(outputFlags(), &cli.StringFlag{Name: "script", Usage: "the generated script `FILE` whose records these are"}),
		Action: func(c *cli.Context) error {
			var in io.Reader = env.Stdin
			if name := c.Args().First(); name != "" && name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return withHint(err, ExitUsage, "")
				}
				defer f.Close()
				in = f
			}
			// The schema line of a saved output comes first; peek at the
			// head without reading the whole stream.
			head := make([]byte, 64<<10)
			n, _ := io.ReadFull(in, head)
			head = head[:n]
			var schema *event.Schema
			if s := c.String("script"); s != "" {
				b, err := os.ReadFile(s)
				if err != nil {
					return withHint(err, ExitUsage, "")
				}
				if schema, err = script.ReadSchema(b); err != nil {
					return err
				}
			} else {
				var err error
				schema, err = script.ReadSchema(head)
				if errors.Is(err, script.ErrNoSchema) {
					return withHint(err, ExitUsage, "pass --script with the generated script these records came from")
				}
				if err != nil {
					return err
				}
			}
			// The header is no event.
			if i := bytes.IndexByte(head, '\n'); i >= 0 && script.IsSchemaLine(head[:i]) {
				head = head[i+1:]
			}
			in = io.MultiReader(bytes.NewReader(head), in)
			out := outputFlagsOf(c)
			if out.symbols == "" {
				out.symbols = recordedBinary(env, schema, out.open)
			}
			sink, err := newSink(env, out, schema)
			if err != nil {
				return err
			}
			d, err := session.Decode(in, schema, sink)
			if cerr := sink.Close(); err == nil {
				err = cerr
			}
			if d.LateRestarts > 0 {
				fmt.Fprintln(env.Stderr, lateRestartsWarning(d.LateRestarts))
			}
			if l := (stap.Losses{Missing: d.Missing}); l.Any() {
				fmt.Fprintf(env.Stderr, "stapgen: warning: %s: the %d events decoded are not all the script printed\n", l, d.Records)
			}
			return err
		},
	}
}
