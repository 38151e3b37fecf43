package secret_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/secret"
)

func newKey(t testing.TB) secret.Key {
	t.Helper()
	var b [secret.KeySize]byte
	rand.Read(b[:])
	k, err := secret.ParseKey(base64.StdEncoding.EncodeToString(b[:]))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKeyring(t testing.TB, primary secret.Key, old ...secret.Key) *secret.Keyring {
	t.Helper()
	kr, err := secret.NewKeyring(primary, old...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestParseKeyAcceptsEveryBase64Form(t *testing.T) {
	var raw [secret.KeySize]byte
	// Bytes that encode to '+' '/' in the standard alphabet and '-' '_' in the URL one.
	for i := range raw {
		raw[i] = byte(0xfb + i%5)
	}
	forms := map[string]string{
		"std padded":   base64.StdEncoding.EncodeToString(raw[:]),
		"std raw":      base64.RawStdEncoding.EncodeToString(raw[:]),
		"url padded":   base64.URLEncoding.EncodeToString(raw[:]),
		"url raw":      base64.RawURLEncoding.EncodeToString(raw[:]),
		"with newline": base64.StdEncoding.EncodeToString(raw[:]) + "\n",
	}
	for name, s := range forms {
		t.Run(name, func(t *testing.T) {
			k, err := secret.ParseKey(s)
			if err != nil {
				t.Fatal(err)
			}
			if k.Bytes != raw {
				t.Fatalf("decoded bytes differ")
			}
			if want := secret.DeriveKeyID(raw); k.ID != want || len(k.ID) != 8 {
				t.Fatalf("id = %q, want %q (8 characters)", k.ID, want)
			}
		})
	}
}

func TestParseKeyErrors(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(make([]byte, 24))
	hexKey := hex.EncodeToString(bytes.Repeat([]byte{0xab}, 32))
	tests := []struct {
		name, in, want string
	}{
		{"empty", "  ", "encryption key is empty"},
		{"not base64", "not*base64!", "not valid base64"},
		{"too short", short, "decodes to 24 bytes, AES-256 needs exactly 32"},
		{"hex", hexKey, "decodes to 48 bytes, AES-256 needs exactly 32 (it looks hex-encoded; give the base64 form)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secret.ParseKey(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "openssl rand -base64 32") {
				t.Fatalf("error %q: want it to contain %q and how to generate a key", msg, tt.want)
			}
			if s := strings.TrimSpace(tt.in); s != "" && strings.Contains(msg, s) {
				t.Fatalf("error %q repeats the key", msg)
			}
		})
	}
}

func TestNewKeyringErrors(t *testing.T) {
	a, b := newKey(t), newKey(t)
	clash := b
	clash.ID = a.ID
	tests := []struct {
		name    string
		primary secret.Key
		old     []secret.Key
		want    string
	}{
		{"zero key", secret.Key{ID: "k1"}, nil, `encryption key "k1" is all zero bytes`},
		{"empty id", secret.Key{Bytes: a.Bytes}, nil, `encryption key id "" must be 1 to 64 characters`},
		{"bad id", secret.Key{ID: "a:b", Bytes: a.Bytes}, nil, `encryption key id "a:b" may hold only letters`},
		{"id clash", a, []secret.Key{clash}, `two different encryption keys share the id "` + a.ID + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secret.NewKeyring(tt.primary, tt.old...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := secret.NewKeyring(a, a, b); err != nil {
		t.Fatalf("repeating a key: %v", err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := newKey(t)
	kr := newKeyring(t, k)
	aad := []byte("user:42|col:access_token")
	for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("token"), 500)} {
		sealed, err := kr.Seal(pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1:"+k.ID+":") {
			t.Fatalf("sealed %q lacks the v1:<kid>: prefix", sealed)
		}
		// Short plaintexts occur in any base64 text by chance; only a long one
		// showing up would mean it was not encrypted.
		if len(pt) > 16 && strings.Contains(sealed, string(pt[:16])) {
			t.Fatal("sealed value contains the plaintext")
		}
		got, err := kr.Open(sealed, aad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, want %q", got, pt)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	kr := newKeyring(t, newKey(t))
	seen := map[string]bool{}
	for range 1000 {
		s, _ := kr.Seal([]byte("same"), []byte("aad"))
		body := s[strings.LastIndexByte(s, ':')+1:]
		b, _ := base64.RawURLEncoding.DecodeString(body)
		nonce := string(b[:12])
		if seen[nonce] {
			t.Fatal("a nonce repeated")
		}
		seen[nonce] = true
	}
}

func TestOpenRejects(t *testing.T) {
	k := newKey(t)
	kr := newKeyring(t, k)
	aad := []byte("user:1|col:access_token")
	sealed, _ := kr.Seal([]byte("the access token"), aad)
	body := sealed[len("v1:"+k.ID+":"):]

	flip := func(s string, i int) string {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other := newKey(t)
	sameID := other
	sameID.ID = k.ID
	tests := []struct {
		name    string
		kr      *secret.Keyring
		in      string
		aad     string
		is      error
		message string
	}{
		{"tampered ciphertext", kr, "v1:" + k.ID + ":" + flip(body, 14), string(aad), secret.ErrAuth, "it was altered, or it belongs to another row or column"},
		{"tampered nonce", kr, "v1:" + k.ID + ":" + flip(body, 0), string(aad), secret.ErrAuth, "it was altered"},
		{"tampered tag", kr, "v1:" + k.ID + ":" + flip(body, len(body)*3/4-1), string(aad), secret.ErrAuth, "it was altered"},
		{"other user", kr, sealed, "user:2|col:access_token", secret.ErrAuth, "belongs to another row or column"},
		{"other column", kr, sealed, "user:1|col:refresh_token", secret.ErrAuth, "belongs to another row or column"},
		{"same id, other key", newKeyring(t, sameID), sealed, string(aad), secret.ErrAuth, "failed authentication"},
		{"unknown key", newKeyring(t, other), sealed, string(aad), secret.ErrUnknownKey, `names key id "` + k.ID + `", the keyring holds "` + other.ID + `"`},
		{"renamed key id", newKeyring(t, k, sameIDAs(other, "k2")), "v1:k2:" + body, string(aad), secret.ErrAuth, "failed authentication"},
		{"no version", kr, strings.TrimPrefix(sealed, "v1:"), string(aad), secret.ErrMalformed, `lacks the "v1:" prefix`},
		{"future version", kr, "v2" + sealed[2:], string(aad), secret.ErrMalformed, `lacks the "v1:" prefix`},
		{"no key id", kr, "v1::" + body, string(aad), secret.ErrMalformed, "key id is missing or invalid"},
		{"padded body", kr, sealed + "==", string(aad), secret.ErrMalformed, "not base64url"},
		{"truncated", kr, sealed[:len("v1:"+k.ID+":")+20], string(aad), secret.ErrMalformed, "too short"},
		{"plaintext", kr, "ATATT3xFfGF0", string(aad), secret.ErrMalformed, "not a sealed value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.kr.Open(tt.in, []byte(tt.aad))
			if !errors.Is(err, tt.is) {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("error %q lacks %q", err, tt.message)
			}
			if got != nil {
				t.Fatalf("Open returned %q with an error", got)
			}
			if strings.Contains(err.Error(), "the access token") {
				t.Fatal("error contains the plaintext")
			}
		})
	}
}

func sameIDAs(k secret.Key, id string) secret.Key {
	k.ID = id
	return k
}

func TestRotation(t *testing.T) {
	old, cur := newKey(t), newKey(t)
	aad := []byte("user:7|col:refresh_token")
	before := newKeyring(t, old)
	sealedOld, _ := before.Seal([]byte("refresh-1"), aad)

	after := newKeyring(t, cur, old)
	if after.PrimaryID() != cur.ID {
		t.Fatalf("primary = %q, want %q", after.PrimaryID(), cur.ID)
	}
	got, err := after.Open(sealedOld, aad)
	if err != nil || string(got) != "refresh-1" {
		t.Fatalf("old value after rotation: %q, %v", got, err)
	}
	if !after.NeedsReseal(sealedOld) {
		t.Fatal("a value sealed with the old key should need resealing")
	}
	sealedNew, _ := after.Seal(got, aad)
	if after.NeedsReseal(sealedNew) {
		t.Fatal("a value sealed with the primary key should not need resealing")
	}
	if after.NeedsReseal("garbage") {
		t.Fatal("a malformed value cannot be resealed")
	}
	if _, err := before.Open(sealedNew, aad); !errors.Is(err, secret.ErrUnknownKey) {
		t.Fatalf("a keyring without the new key opened its value: %v", err)
	}
}

func TestNilKeyring(t *testing.T) {
	var kr *secret.Keyring
	if _, err := kr.Seal([]byte("x"), nil); err == nil || !strings.Contains(err.Error(), "no encryption keyring configured") {
		t.Fatalf("Seal on nil keyring: %v", err)
	}
	if _, err := kr.Open("v1:a:b", nil); err == nil || !strings.Contains(err.Error(), "no encryption keyring configured") {
		t.Fatalf("Open on nil keyring: %v", err)
	}
}

// FuzzOpen feeds Open arbitrary text: it must never panic, and it may only
// succeed on a value sealed with the fixed fuzz key, returning one of the
// plaintexts sealed here. (Fuzz workers each seal their own seeds with fresh
// nonces, so success is judged by plaintext, not by the exact text.)
func FuzzOpen(f *testing.F) {
	var kb [secret.KeySize]byte
	copy(kb[:], "fuzz key: 32 bytes, fixed seeds!")
	k := secret.Key{ID: secret.DeriveKeyID(kb), Bytes: kb}
	kr, err := secret.NewKeyring(k)
	if err != nil {
		f.Fatal(err)
	}
	aad := []byte("user:1|col:access_token")
	plaintexts := map[string]bool{}
	for _, pt := range []string{"", "a", "refresh token value"} {
		s, _ := kr.Seal([]byte(pt), aad)
		plaintexts[pt] = true
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(strings.Replace(s, k.ID, "zzzzzzzz", 1))
	}
	for _, s := range []string{"", "v1:", "v1::", "v1:" + k.ID + ":", "v1:" + k.ID + ":AAAA", "v1:" + k.ID + ":" + strings.Repeat("A", 40), "v1:" + strings.Repeat("k", 100) + ":AAAA", "\x00\xff", "v1:kid:====", "ATATT3xFfGF0T0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		pt, err := kr.Open(in, aad)
		if err != nil {
			if pt != nil {
				t.Fatalf("Open(%q) returned data with an error", in)
			}
			if !errors.Is(err, secret.ErrMalformed) && !errors.Is(err, secret.ErrUnknownKey) && !errors.Is(err, secret.ErrAuth) {
				t.Fatalf("Open(%q): unclassified error %v", in, err)
			}
			return
		}
		if !plaintexts[string(pt)] {
			t.Fatalf("Open(%q) = %q: succeeded on a value the keyring never sealed", in, pt)
		}
	})
}
