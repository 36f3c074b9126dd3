package command

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// bashCompletion asks stapgen itself for the words that fit (urfave/cli's
// --generate-bash-completion), and falls back to file names: TARGET is
// usually a path.
const bashCompletion = `# stapgen bash completion: eval "$(stapgen completion bash)"
_stapgen() {
	local cur=${COMP_WORDS[COMP_CWORD]} words
	if [[ $cur == -* ]]; then
		words=$("${COMP_WORDS[@]:0:COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
	else
		words=$("${COMP_WORDS[@]:0:COMP_CWORD}" --generate-bash-completion 2>/dev/null)
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
	if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _stapgen stapgen
`

func completionCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script (bash)",
		ArgsUsage: "bash",
		Description: `Completes commands, flags and file names.

Examples:
   eval "$(stapgen completion bash)"                       # this shell
   stapgen completion bash > /etc/bash_completion.d/stapgen  # every shell`,
		Action: func(c *cli.Context) error {
			if sh := c.Args().First(); sh != "bash" {
				return usagef("completion %q: only bash is supported", sh)
			}
			fmt.Fprint(env.Stdout, bashCompletion)
			return nil
		},
	}
}
