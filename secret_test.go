package tm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
)

// tokenAlphabet is what Atlassian tokens are made of. None of its characters
// occurs in the mask's fixed text ("***", " (length: ", ")") except letters
// and digits, so a secret of 8 or more of them cannot hide inside that text:
// finding one in the output means it leaked.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-="

func randomSecret(r *rand.Rand, n int, alphabet []rune) string {
	b := make([]rune, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// documented is the mask's documented form, computed independently of Mask.
func documented(s string) string {
	r := []rune(s)
	switch n := len(r); {
	case n == 0:
		return "(not set)"
	case n < 16:
		return fmt.Sprintf("*** (length: %d)", n)
	default:
		return string(r[:7]) + "***" + string(r[n-4:]) + fmt.Sprintf(" (length: %d)", n)
	}
}

// renderings are the ways a secret can reach output by accident.
func renderings(s tm.Secret) map[string]string {
	type holder struct {
		Name  string
		Token tm.Secret
	}
	h := holder{Name: "n", Token: s}
	js, _ := json.Marshal(s)
	jh, _ := json.Marshal(h)
	jp, _ := json.Marshal(&h)
	return map[string]string{
		"String":          s.String(),
		"%v":              fmt.Sprintf("%v", s),
		"%s":              fmt.Sprintf("%s", s),
		"%q":              fmt.Sprintf("%q", s),
		"%#v":             fmt.Sprintf("%#v", s),
		"%x":              fmt.Sprintf("%x", s),
		"%X":              fmt.Sprintf("%X", s),
		"%+v struct":      fmt.Sprintf("%+v", h),
		"%#v struct":      fmt.Sprintf("%#v", h),
		"%v slice":        fmt.Sprint([]tm.Secret{s}),
		"%v map":          fmt.Sprint(map[string]tm.Secret{"k": s}),
		"Errorf %w chain": fmt.Errorf("wrap: %w", errors.New(fmt.Sprint(s))).Error(),
		"json":            string(js),
		"json struct":     string(jh),
		"json pointer":    string(jp),
	}
}

func TestMaskNeverRevealsASecret(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabets := map[string][]rune{
		"token":   []rune(tokenAlphabet),
		"unicode": []rune("aé漢字🙂Ωж" + tokenAlphabet),
	}
	for name, alphabet := range alphabets {
		for n := 0; n <= 300; n++ {
			for range 5 {
				secret := randomSecret(r, n, alphabet)
				mask := tm.Mask(secret)
				if want := documented(secret); mask != want {
					t.Fatalf("%s n=%d: Mask = %q, want %q", name, n, mask, want)
				}
				for how, out := range renderings(tm.Secret(secret)) {
					if !strings.Contains(out, mask) {
						t.Fatalf("%s n=%d %s: %q does not hold the mask %q", name, n, how, out, mask)
					}
					// Lengths under 8 can coincide with the mask's own text
					// ("e" in "length"); the exact-form check above covers them.
					if n >= 8 && name == "token" && strings.Contains(out, secret) {
						t.Fatalf("%s n=%d %s: output %q holds the secret", name, n, how, out)
					}
					if n >= 16 && strings.Contains(out, string([]rune(secret)[:8])) {
						t.Fatalf("%s n=%d %s: output %q shows more than the first 7 characters", name, n, how, out)
					}
				}
			}
		}
	}
}

func TestRevealAndIsZero(t *testing.T) {
	s := tm.Secret("ATATT3xabcdefghijklmnop")
	if s.Reveal() != "ATATT3xabcdefghijklmnop" || s.IsZero() || !tm.Secret("").IsZero() {
		t.Errorf("Reveal = %q, IsZero = %v, empty IsZero = %v", s.Reveal(), s.IsZero(), tm.Secret("").IsZero())
	}
}
