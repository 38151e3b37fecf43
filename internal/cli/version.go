package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm"
)

// version says which tm this is. A release build stamps tm.Version; a
// `go install …@vX` build carries its module version and a checkout's build
// its commit in the build info, so neither has to say "dev".
func version(stamped string, info *debug.BuildInfo, ok bool) string {
	v := stamped
	if !ok {
		return v
	}
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v != stamped {
		// Requests name the same version as --version (the User-Agent).
		tm.Version = v
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" || strings.Contains(v, rev[:min(7, len(rev))]) {
		return v
	}
	detail := "commit " + rev[:min(12, len(rev))]
	if modified {
		detail += ", modified"
	}
	if when != "" {
		detail += ", " + when
	}
	return fmt.Sprintf("%s (%s)", v, detail)
}

// buildVersion is this binary's version.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	return version(tm.Version, info, ok)
}

// newVersionCmd is `tm version`, for people who type it the way other
// tools take it; it prints what `tm --version` prints.
func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print tm's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "tm version %s\n", cmd.Root().Version)
			return err
		},
	}
}
