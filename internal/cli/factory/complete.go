package factory

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ticket-mate/tm/internal/config"
)

// CompleteCreateValue completes a create-ticket flag's value from the create
// metadata earlier commands cached for the project (-p, else the configured
// one): "type" the issue types, any other the allowed values of the field
// with that key ("priority", "components"). It never calls Jira, and never
// offers file names.
func CompleteCreateValue(f *Factory, field string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		add := func(name string) {
			if strings.HasPrefix(strings.ToLower(name), strings.ToLower(prefix)) && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
		project := ""
		if fl := cmd.Flags().Lookup("project"); fl != nil {
			project = strings.ToUpper(strings.TrimSpace(fl.Value.String()))
		}
		cfg, err := f.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: project})
		if err != nil || cfg.AuthMode == config.AuthOAuth || cfg.BaseURL == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		m := &diskMeta{c: f, site: cfg.BaseURL}
		var types cachedTypes
		if !f.ReadCache(m.typesKey(cfg.ProjectKey), metaTTL, &types) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		for _, t := range types.IssueTypes {
			if field == "type" {
				add(t.Name)
				continue
			}
			var fs cachedFields
			if !f.ReadCache(m.fieldsKey(cfg.ProjectKey, t.ID), metaTTL, &fs) {
				continue
			}
			for _, fm := range fs.Fields {
				if fm.Key == field || fm.FieldID == field {
					for _, v := range fm.AllowedValues {
						add(v.Label())
					}
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteAssignee offers "me"; people are found by email, not listed.
func CompleteAssignee(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []cobra.Completion{cobra.CompletionWithDesc("me", "yourself")}, cobra.ShellCompDirectiveNoFileComp
}

// NoValueCompletion stops the shell from offering file names for a flag
// whose value is text.
func NoValueCompletion(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// CachedIssueTypes names the project's issue types from the create
// metadata cached for j's site, without a request; nil when none is cached.
func CachedIssueTypes(c Cache, j *Jira, project string) []string {
	m := &diskMeta{c: c, site: j.SiteURL()}
	var types cachedTypes
	if !c.ReadCache(m.typesKey(project), metaTTL, &types) {
		return nil
	}
	var out []string
	for _, t := range types.IssueTypes {
		out = append(out, t.Name)
	}
	return out
}
