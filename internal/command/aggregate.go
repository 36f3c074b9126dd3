package command

import (
	"github.com/urfave/cli/v2"

	"github.com/stapgen/stapgen/internal/spec"
)

// aggregateFlags reads --aggregate, --by and --top into req, over what a
// probe file set.
func aggregateFlags(c *cli.Context, req *spec.Request) error {
	if c.IsSet("aggregate") {
		kind, of, err := spec.ParseAggregate(c.String("aggregate"))
		if err != nil {
			return err
		}
		req.Aggregate, req.AggOf = kind, of
	}
	if c.IsSet("by") {
		p, err := spec.ParsePath(c.String("by"))
		if err != nil {
			return err
		}
		req.By = &p
	}
	if c.IsSet("keys") {
		req.Top = c.Int("keys")
		if req.Top <= 0 {
			return usagef("--keys %d: want a positive number", req.Top)
		}
	}
	return nil
}
