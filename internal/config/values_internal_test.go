package config

import (
	"regexp"
	"testing"
)

// The hand-written checks accept exactly what these patterns match.
var (
	projectKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]+$`)
	uuidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func FuzzShapeChecks(f *testing.F) {
	for _, s := range []string{"", "A", "AB", "SPACE2", "S_P_9", "space2", "2SPACE", "SPACE-2", "SPACE2\n", "ÄB",
		"4f5e7a2c-1b3d-4e6f-8a9b-0c1d2e3f4a5b", "4F5E7A2C-1B3D-4E6F-8A9B-0C1D2E3F4A5B", "4f5e7a2c-1b3d-4e6f-8a9b-0c1d2e3f4a5",
		"4f5e7a2c1b3d-4e6f-8a9b-0c1d2e3f4a5b-", "4f5e7a2c-1b3d-4e6f-8a9b-0c1d2e3f4a5g", "4f5e7a2c-1b3d-4e6f-8a9b-0c1d2e3f4a5b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidProjectKey(s), projectKeyPattern.MatchString(s); got != want {
			t.Errorf("ValidProjectKey(%q) = %v, want %v", s, got, want)
		}
		if got, want := IsUUID(s), uuidPattern.MatchString(s); got != want {
			t.Errorf("IsUUID(%q) = %v, want %v", s, got, want)
		}
	})
}
