// Package command is stapgen's command line: it maps arguments and the
// environment to calls into the library packages and maps their errors to
// one clear line, a hint and an exit code. It is the only importer of
// urfave/cli.
package command
