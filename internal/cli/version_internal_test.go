package cli

import (
	"runtime/debug"
	"testing"

	"github.com/ticket-mate/tm"
)

func TestVersion(t *testing.T) {
	t.Cleanup(func() { tm.Version = "dev" })
	vcs := func(mod string, kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/ticket-mate/tm", Version: mod}}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		name, stamped string
		info          *debug.BuildInfo
		ok            bool
		want          string
	}{
		{"no build info", "dev", nil, false, "dev"},
		{"go install @v1.4.0", "dev", vcs("v1.4.0"), true, "v1.4.0"},
		{"stamped release wins", "v2.0.0", vcs("v1.4.0"), true, "v2.0.0"},
		{"checkout build", "dev", vcs("(devel)", "vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-12-01T10:00:00Z", "vcs.modified", "true"), true,
			"dev (commit 0123456789ab, modified, 2026-12-01T10:00:00Z)"},
		{"pseudo-version names its commit already", "dev", vcs("v0.0.0-20261201100000-0123456789ab", "vcs.revision", "0123456789abcdef0123"), true,
			"v0.0.0-20261201100000-0123456789ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm.Version = tc.stamped
			if got := version(tc.stamped, tc.info, tc.ok); got != tc.want {
				t.Errorf("version = %q, want %q", got, tc.want)
			}
		})
	}
}
