package tm

import (
	"fmt"
	"unicode/utf8"
)

// Secret is a credential: an API token, a client secret, an OAuth token.
// Its String, GoString, Format and JSON forms are masked so that it cannot
// reach output, logs or error messages by accident; Reveal is the one way to
// the plain value, to be called only where the value goes on the wire or
// into the sealed store.
type Secret string

// Reveal returns the plain value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s == "" }

// String masks the value; see Mask.
func (s Secret) String() string { return Mask(string(s)) }

// GoString masks the value for %#v.
func (s Secret) GoString() string { return Mask(string(s)) }

// Format masks the value for every verb, %q and %x included.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, Mask(string(s))) }

// MarshalJSON masks the value: a Secret never leaves the process as JSON.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", Mask(string(s)))), nil
}

// MaskPrefix and MaskSuffix are how many characters of a long secret Mask shows.
const (
	MaskPrefix = 7
	MaskSuffix = 4
	// MaskMinLength is the shortest secret whose ends Mask shows. Below it the
	// shown ends would reveal too large a share of the secret.
	MaskMinLength = 16
)

// Mask renders a secret for people: the first 7 and last 4 characters and
// the length ("ATATT3x***K9wq (length: 192)"), or only the length when the
// secret is shorter than 16 characters ("*** (length: 9)"). The empty secret
// renders as "(not set)". Lengths count characters, not bytes.
func Mask(s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "(not set)"
	case n < MaskMinLength:
		return fmt.Sprintf("*** (length: %d)", n)
	}
	r := []rune(s)
	return fmt.Sprintf("%s***%s (length: %d)", string(r[:MaskPrefix]), string(r[n-MaskSuffix:]), n)
}
