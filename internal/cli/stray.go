package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// strayValue explains the common cause of a stray argument: a flag's value
// typed with spaces and no quotes (tm create-ticket -t Fix the login). It
// returns "" when the arguments read otherwise.
func strayValue(cmd *cobra.Command, raw, positional []string) string {
	if len(raw) == 0 || len(positional) == 0 {
		return ""
	}
	path := strings.Fields(cmd.CommandPath())[1:]
	var flag string // the value flag as typed, when the last token set one
	var words []string
	for i := 0; i < len(raw); i++ {
		tok := raw[i]
		if tok == "--" {
			return ""
		}
		if strings.HasPrefix(tok, "-") && len(tok) > 1 {
			flag, words = "", nil
			if f := lookup(cmd, tok); f != nil && f.NoOptDefVal == "" && !strings.Contains(tok, "=") && i+1 < len(raw) {
				i++
				flag, words = tok, []string{raw[i]}
			}
			continue
		}
		if len(path) > 0 && tok == path[0] {
			path = path[1:]
			continue
		}
		if flag == "" || !slices.Contains(positional, tok) {
			return ""
		}
		words = append(words, tok)
		if i+1 == len(raw) || strings.HasPrefix(raw[i+1], "-") {
			break
		}
	}
	if flag == "" || len(words) < 2 {
		return ""
	}
	return fmt.Sprintf("unexpected argument %q: quote values with spaces (%s %q)", words[1], flag, strings.Join(words, " "))
}

// lookup finds the flag a token names: "-t", "--title", "-tX" or "--title=X".
func lookup(cmd *cobra.Command, tok string) *pflag.Flag {
	fs := cmd.Flags()
	if name, ok := strings.CutPrefix(tok, "--"); ok {
		name, _, _ = strings.Cut(name, "=")
		return fs.Lookup(name)
	}
	if len(tok) != 2 {
		return nil // -tValue: the value is attached
	}
	return fs.ShorthandLookup(tok[1:])
}
