// Package command is stapgen's command line: it reads flags into the option
// structs of package session, calls it, formats what it returns (package
// report), and maps errors to one clear line, a hint and an exit code. Only
// the actions and the flag readers (openFlags, buildRequest, generateFlags,
// outputFlagsOf) see a *cli.Context. It is the only importer of urfave/cli.
package command
