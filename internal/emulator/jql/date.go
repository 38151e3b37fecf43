package jql

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dateSpec is a JQL date operand decoded once at parse time and resolved
// against the search's clock at match time.
type dateSpec struct {
	kind   dateKind
	abs    string   // absolute: the literal in Go layout "2006-01-02 15:04"
	epoch  int64    // epoch: milliseconds
	period []period // relative: offset from now; functions: the increment
	fn     string   // function name for kind fnDate
}

type dateKind int

const (
	absDate dateKind = iota
	epochDate
	relDate
	fnDate
)

type period struct {
	n    int
	unit byte // y M w d h m
}

var absLayouts = []string{"2006-1-2 15:04", "2006/1/2 15:04", "2006-1-2", "2006/1/2"}

var (
	periodPart = lazyRegexp(`^([+-]?)([0-9]{1,9})([yMwdhm])$`)
	incPart    = lazyRegexp(`^([+-]?)([0-9]{1,9})([yMwdhm]?)$`)
)

// parseDate accepts what Jira accepts for a date field: yyyy-MM-dd or
// yyyy/MM/dd with an optional HH:mm, a period such as "-7d" or "4w 2d", or
// epoch milliseconds.
func parseDate(s string) (*dateSpec, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range absLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return &dateSpec{kind: absDate, abs: t.Format("2006-01-02 15:04")}, true
		}
	}
	if integer().MatchString(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		return &dateSpec{kind: epochDate, epoch: ms}, err == nil
	}
	ps, ok := parsePeriods(s, periodPart())
	return &dateSpec{kind: relDate, period: ps}, ok
}

// parsePeriods reads space-separated parts; a sign on the first part carries to
// unsigned parts after it, so "-4w 2d" is four weeks and two days ago.
func parsePeriods(s string, part *regexp.Regexp) ([]period, bool) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, false
	}
	var out []period
	sign := 1
	for i, f := range fields {
		m := part.FindStringSubmatch(f)
		if m == nil {
			return nil, false
		}
		n, _ := strconv.Atoi(m[2])
		switch {
		case m[1] == "-":
			sign = -1
		case m[1] == "+":
			sign = 1
		case i == 0:
			sign = 1
		}
		out = append(out, period{n: sign * n, unit: unitOr(m[3])})
	}
	return out, true
}

func unitOr(u string) byte {
	if u == "" {
		return 0 // the function's own unit
	}
	return u[0]
}

func dateFunc(name string, args []string) (*dateSpec, bool) {
	spec := &dateSpec{kind: fnDate, fn: name}
	if len(args) == 0 {
		return spec, true
	}
	ps, ok := parsePeriods(args[0], incPart())
	spec.period = ps
	return spec, ok
}

func addPeriods(t time.Time, ps []period, defaultUnit byte) time.Time {
	for _, p := range ps {
		u := p.unit
		if u == 0 {
			u = defaultUnit
		}
		switch u {
		case 'y':
			t = t.AddDate(p.n, 0, 0)
		case 'M':
			t = t.AddDate(0, p.n, 0)
		case 'w':
			t = t.AddDate(0, 0, 7*p.n)
		case 'd':
			t = t.AddDate(0, 0, p.n)
		case 'h':
			t = t.Add(time.Duration(p.n) * time.Hour)
		case 'm':
			t = t.Add(time.Duration(p.n) * time.Minute)
		}
	}
	return t
}

// at resolves the operand to an instant, reading absolute dates in now's location.
func (d *dateSpec) at(now time.Time) time.Time {
	loc := now.Location()
	switch d.kind {
	case absDate:
		t, _ := time.ParseInLocation("2006-01-02 15:04", d.abs, loc)
		return t
	case epochDate:
		return time.UnixMilli(d.epoch).In(loc)
	case relDate:
		return addPeriods(now, d.period, 'd')
	}
	if d.fn == "now" {
		return now
	}
	unit := strings.TrimPrefix(strings.TrimPrefix(d.fn, "start"), "end")
	unit = strings.TrimPrefix(unit, "Of")
	def := map[string]byte{"Day": 'd', "Week": 'w', "Month": 'M', "Year": 'y'}[unit]
	t := addPeriods(now, d.period, def)
	y, m, day := t.Date()
	start := time.Date(y, m, day, 0, 0, 0, 0, loc)
	var next time.Time
	switch unit {
	case "Day":
		next = start.AddDate(0, 0, 1)
	case "Week": // Jira's default locale starts weeks on Sunday
		start = start.AddDate(0, 0, -int(start.Weekday()))
		next = start.AddDate(0, 0, 7)
	case "Month":
		start = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		next = start.AddDate(0, 1, 0)
	case "Year":
		start = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		next = start.AddDate(1, 0, 0)
	}
	if strings.HasPrefix(d.fn, "end") {
		return next.Add(-time.Millisecond)
	}
	return start
}

// The sandbox's own layout comes first: a sort by date reads a value per
// issue, and a failed attempt at another layout costs as much as the
// parse. No string parses under two of them to different instants.
var issueLayouts = []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano, "2006-01-02T15:04:05-0700"}

// issueTime reads a date the emulator reports for an issue; date-only values
// (due dates) are midnight in loc.
func issueTime(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range issueLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	t, err := time.ParseInLocation("2006-01-02", s, loc)
	return t, err == nil
}
