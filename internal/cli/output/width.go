package output

import (
	"strings"
	"unicode"
)

// Width is the number of terminal columns s takes: East Asian wide and
// full-width characters and emoji take two, combining marks, variation
// selectors and zero-width joiners none, the rest one.
// ANSI escape sequences (colour, bold) take none.
func Width(s string) int {
	n := 0
	esc := false
	for _, r := range s {
		switch {
		case r == 0x1b:
			esc = true
		case esc:
			esc = r == '[' || r >= '0' && r <= '9' || r == ';'
		default:
			n += RuneWidth(r)
		}
	}
	return n
}

// RuneWidth is the number of terminal columns r takes (see Width).
func RuneWidth(r rune) int {
	switch {
	case r == 0x200D || (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0100 && r <= 0xE01EF):
		return 0 // joiner, variation selectors, skin-tone modifiers
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) || r < 0x20 || (r >= 0x7F && r < 0xA0):
		return 0
	case wide(r):
		return 2
	}
	return 1
}

// wide reports the East Asian Wide (W) and Fullwidth (F) ranges and the
// emoji that terminals draw two columns wide.
func wide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo initials
		r == 0x2329 || r == 0x232A,
		r >= 0x231A && r <= 0x231B, r >= 0x23E9 && r <= 0x23EC, r == 0x23F0, r == 0x23F3,
		r >= 0x25FD && r <= 0x25FE, r >= 0x2614 && r <= 0x2615, r >= 0x2648 && r <= 0x2653,
		r == 0x267F, r == 0x2693, r == 0x26A1, r >= 0x26AA && r <= 0x26AB, r >= 0x26BD && r <= 0x26BE,
		r >= 0x26C4 && r <= 0x26C5, r == 0x26CE, r == 0x26D4, r == 0x26EA, r >= 0x26F2 && r <= 0x26F3,
		r == 0x26F5, r == 0x26FA, r == 0x26FD, r == 0x2705, r >= 0x270A && r <= 0x270B, r == 0x2728,
		r == 0x274C, r == 0x274E, r >= 0x2753 && r <= 0x2755, r == 0x2757, r >= 0x2795 && r <= 0x2797,
		r == 0x27B0, r == 0x27BF, r >= 0x2B1B && r <= 0x2B1C, r == 0x2B50, r == 0x2B55,
		r >= 0x2E80 && r <= 0x303E,                             // CJK radicals … CJK symbols
		r >= 0x3041 && r <= 0x33FF,                             // Hiragana … CJK compatibility
		r >= 0x3400 && r <= 0x4DBF,                             // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF,                             // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF,                             // Yi
		r >= 0xA960 && r <= 0xA97F,                             // Hangul Jamo extended A
		r >= 0xAC00 && r <= 0xD7A3,                             // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF,                             // CJK compatibility ideographs
		r >= 0xFE10 && r <= 0xFE19, r >= 0xFE30 && r <= 0xFE6F, // vertical and small forms
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, // full-width forms
		r >= 0x1F004 && r <= 0x1F0CF, r == 0x1F18E, r >= 0x1F191 && r <= 0x1F19A,
		r >= 0x1F200 && r <= 0x1F251,
		r >= 0x1F300 && r <= 0x1F64F, // pictographs, emoticons
		r >= 0x1F680 && r <= 0x1F6FF, // transport and map
		r >= 0x1F7E0 && r <= 0x1F7EB,
		r >= 0x1F900 && r <= 0x1FAFF, // supplemental pictographs
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions B…
		return true
	}
	return false
}

// Truncate cuts s to at most w columns, ending in "…" when it cut.
func Truncate(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		rw := RuneWidth(r)
		if n+rw > w-1 {
			return s[:i] + "…"
		}
		n += rw
	}
	return s
}

// Pad cuts or pads s to exactly w columns.
func Pad(s string, w int) string {
	s = Truncate(s, w)
	if n := Width(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}
