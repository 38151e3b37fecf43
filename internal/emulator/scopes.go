package emulator

//go:generate go run ./internal/scopegen/gen -doc ../../../shared/jira/platform-openapi.v3.json -out scopes_gen.go

import "strings"

// scopesSatisfy reports whether a token holding have may call the operation
// key ("GET /rest/api/3/myself"): it needs every scope of the classic set or
// every scope of the granular set the document lists. Operations the
// document does not describe need none.
func scopesSatisfy(key string, have []string) bool {
	sets, ok := scopeTable[key]
	if !ok {
		return true
	}
	for _, i := range sets {
		if i >= 0 && hasAll(have, scopeSets[i]) {
			return true
		}
	}
	return false
}

func hasAll(have []string, need string) bool {
	for _, s := range strings.Fields(need) {
		found := false
		for _, h := range have {
			if h == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
