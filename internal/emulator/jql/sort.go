package jql

import (
	"strconv"
	"strings"
	"time"
)

// Compare orders two issues by ORDER BY terms: negative when a comes first,
// zero on a tie (the caller picks a tie-breaker). Keys sort by project, then
// number numerically; dates by instant; priority by rank (see the package
// documentation); other fields by their first value, numerically when both are
// numbers, else case-insensitively. An empty field sorts after every value in
// ascending order, before every value in descending order.
func Compare(a, b Issue, sorts []Sort) int {
	for _, s := range sorts {
		cmp := compareField(s.Field, a.Field(s.Field), b.Field(s.Field))
		if s.Desc {
			cmp = -cmp
		}
		if cmp != 0 {
			return cmp
		}
	}
	return 0
}

func compareField(field string, va, vb []string) int {
	ea, eb := isEmpty(va), isEmpty(vb)
	switch {
	case ea && eb:
		return 0
	case ea:
		return 1
	case eb:
		return -1
	}
	x, y := va[0], vb[0]
	switch field {
	case "key":
		pa, na, oka := splitKey(x)
		pb, nb, okb := splitKey(y)
		if oka && okb {
			if c := strings.Compare(strings.ToUpper(pa), strings.ToUpper(pb)); c != 0 {
				return c
			}
			return cmpInt(na, nb)
		}
	case "created", "updated", "duedate", "lastViewed":
		ta, oka := issueTime(x, time.UTC)
		tb, okb := issueTime(y, time.UTC)
		if oka && okb {
			return ta.Compare(tb)
		}
	case "priority":
		if len(va) > 1 && len(vb) > 1 {
			ia, erra := strconv.ParseInt(va[1], 10, 64)
			ib, errb := strconv.ParseInt(vb[1], 10, 64)
			if erra == nil && errb == nil {
				return cmpInt(ib, ia) // a smaller id ranks higher
			}
		}
	}
	return compareValue(x, y)
}
