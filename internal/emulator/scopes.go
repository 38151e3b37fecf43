package emulator

//go:generate go run ./internal/scopegen/gen -doc ../../../shared/jira/platform-openapi.v3.json -out scopes_gen.go

import (
	"slices"
	"strings"
)

// scopeEntry is one operation's row of scopeTable.
type scopeEntry struct {
	key               string
	classic, granular int16
}

// scopesSatisfy reports whether a token holding have may call the operation
// key ("GET /rest/api/3/myself"): it needs every scope of the classic set or
// every scope of the granular set the document lists. Operations the
// document does not describe need none.
func scopesSatisfy(key string, have []string) bool {
	at, ok := slices.BinarySearchFunc(scopeTable[:], key, func(e scopeEntry, key string) int { return strings.Compare(e.key, key) })
	if !ok {
		return true
	}
	e := scopeTable[at]
	for _, i := range [2]int16{e.classic, e.granular} {
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
