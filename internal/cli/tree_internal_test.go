package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/cli/factory"
)

// TestCommandTable: each entry's name is the name of the command it
// builds, once, so that a run choosing its command before building it
// finds the right one.
func TestCommandTable(t *testing.T) {
	f := factory.New()
	seen := map[string]bool{}
	for _, c := range commands {
		if got := c.build(f).Name(); got != c.name {
			t.Errorf("the entry named %q builds %q", c.name, got)
		}
		if seen[c.name] {
			t.Errorf("%q is listed twice", c.name)
		}
		seen[c.name] = true
	}
}

// TestTreeBuiltForTheRun: a run that names a subcommand builds only that
// one and a run that asks for the version none; help, completion, a near
// miss and flags before the subcommand get every command.
func TestTreeBuiltForTheRun(t *testing.T) {
	var all []string
	for _, c := range commands {
		all = append(all, c.name)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"ls-projects", "--plain"}, []string{"ls-projects"}},
		{[]string{"create-ticket", "-t", "help"}, []string{"create-ticket"}},
		{[]string{"sandbox", "--help"}, []string{"sandbox"}},
		{[]string{"--version"}, nil},
		{[]string{}, all},
		{[]string{"--help"}, all},
		{[]string{"--version", "--help"}, all},
		{[]string{"help", "ls-projects"}, all},
		{[]string{"__complete", "ls"}, all},
		{[]string{"completion", "bash"}, all},
		{[]string{"ls-project"}, all},
		{[]string{"--debug", "env-check"}, all},
		{nil, all},
	} {
		root := newRootCmd(factory.New(), tc.args)
		var got []string
		for _, c := range root.Commands() {
			got = append(got, c.Name())
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("tm %s builds %v, want %v", strings.Join(tc.args, " "), got, want)
		}
	}
}

// TestVersionWithoutTree: --version answers from the root alone.
func TestVersionWithoutTree(t *testing.T) {
	f := factory.New()
	var out strings.Builder
	f.IO.Out = &out
	if code := Run(f, []string{"--version"}); code != 0 {
		t.Fatalf("tm --version: exit %d", code)
	}
	if want := "tm version " + buildVersion() + "\n"; out.String() != want {
		t.Errorf("tm --version printed %q, want %q", out.String(), want)
	}
}
