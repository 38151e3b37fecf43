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
	return CompareKeys(KeyOf(a, sorts), KeyOf(b, sorts), sorts)
}

// SortKey is one issue's values for a list of ORDER BY terms, read once:
// a sort compares each issue about log n times, and reading a field (a
// date formatted, then parsed back) costs far more than comparing it.
type SortKey []sortValue

type sortValue struct {
	vals []string
	t    time.Time // the first value as an instant, for date fields
	isT  bool
}

// KeyOf reads is's values for sorts.
func KeyOf(is Issue, sorts []Sort) SortKey {
	k := make(SortKey, len(sorts))
	for i, s := range sorts {
		v := sortValue{vals: is.Field(s.Field)}
		switch s.Field {
		case "created", "updated", "duedate", "lastViewed":
			if !isEmpty(v.vals) {
				v.t, v.isT = issueTime(v.vals[0], time.UTC)
			}
		}
		k[i] = v
	}
	return k
}

// CompareKeys is Compare on keys KeyOf read with the same sorts.
func CompareKeys(a, b SortKey, sorts []Sort) int {
	for i, s := range sorts {
		cmp := compareField(s.Field, a[i], b[i])
		if s.Desc {
			cmp = -cmp
		}
		if cmp != 0 {
			return cmp
		}
	}
	return 0
}

func compareField(field string, a, b sortValue) int {
	va, vb := a.vals, b.vals
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
		if a.isT && b.isT {
			return a.t.Compare(b.t)
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
