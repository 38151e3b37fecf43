// Package secret owns encryption at rest: it seals short values (OAuth
// tokens) with AES-256-GCM under a keyring whose primary key seals and whose
// older keys still open, so a key can be rotated without a flag day.
//
// A sealed value is text: "v1:<key id>:<base64url(nonce|ciphertext|tag)>".
// The key id picks the key on Open; the caller's additional data (AAD) binds
// the value to where it is stored, so a value copied to another row or
// column does not open. Nonces are random 96-bit values from crypto/rand.
//
// It imports only the standard library and never includes key material or
// plaintext in an error.
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// GenerateHint tells people how to make a key; every key error carries it.
const GenerateHint = "generate one with: openssl rand -base64 32"

// version prefixes every sealed value so the format can change later
// without guessing what an old value is.
const version = "v1"

// maxKeyID bounds key ids so a hostile sealed value cannot make Open work
// on an arbitrarily long id.
const maxKeyID = 64

// Errors Open returns, for errors.Is. The messages around them say which.
var (
	// ErrMalformed: the value is not a sealed value of a known version.
	ErrMalformed = errors.New("not a sealed value")
	// ErrUnknownKey: the value was sealed with a key the keyring lacks.
	ErrUnknownKey = errors.New("sealed with an unknown key")
	// ErrAuth: the key id matched but authentication failed — the value was
	// altered, or sealed for another row or column (different AAD).
	ErrAuth = errors.New("sealed value failed authentication")
)

// Key is one AES-256 key and the id stored beside every value it seals.
type Key struct {
	ID    string
	Bytes [KeySize]byte
}

// ParseKey decodes a base64 key (standard or URL alphabet, padded or not),
// as TM_ENCRYPTION_KEY holds it. Its id is derived from the key, so a
// deployment needs no separate id setting and the same key always gets the
// same id. The error never contains the input.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, fmt.Errorf("encryption key is empty: it must be 32 random bytes in base64; %s", GenerateHint)
	}
	b, err := decodeBase64(s)
	if err != nil {
		return Key{}, fmt.Errorf("encryption key is not valid base64: it must be 32 random bytes in base64; %s", GenerateHint)
	}
	if len(b) != KeySize {
		hint := ""
		if len(s) == 2*KeySize && isHex(s) {
			hint = " (it looks hex-encoded; give the base64 form)"
		}
		return Key{}, fmt.Errorf("encryption key decodes to %d bytes, AES-256 needs exactly %d%s; %s", len(b), KeySize, hint, GenerateHint)
	}
	var k Key
	copy(k.Bytes[:], b)
	k.ID = DeriveKeyID(k.Bytes)
	return k, nil
}

// DeriveKeyID names a key by a short hash of it: 8 hex characters, enough
// to tell a handful of keys apart, far too few to help find the key.
func DeriveKeyID(b [KeySize]byte) string {
	h := sha256.Sum256(append([]byte("ticket-mate key id\x00"), b[:]...))
	return hex.EncodeToString(h[:4])
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	return enc.Strict().DecodeString(s)
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// Keyring seals with its primary key and opens with any of its keys.
// It is safe for concurrent use.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
	ids     []string // primary first, for messages
}

// NewKeyring builds a keyring: primary seals, old keys only open. Repeating
// a key is harmless; two different keys with one id, a key with an invalid
// id, or an all-zero key (an unset variable decoded) are errors.
func NewKeyring(primary Key, old ...Key) (*Keyring, error) {
	kr := &Keyring{primary: primary.ID, aeads: map[string]cipher.AEAD{}}
	seen := map[string][KeySize]byte{}
	for _, k := range append([]Key{primary}, old...) {
		if err := checkKeyID(k.ID); err != nil {
			return nil, err
		}
		if k.Bytes == ([KeySize]byte{}) {
			return nil, fmt.Errorf("encryption key %q is all zero bytes; %s", k.ID, GenerateHint)
		}
		if prev, ok := seen[k.ID]; ok {
			if prev != k.Bytes {
				return nil, fmt.Errorf("two different encryption keys share the id %q; give each key its own id", k.ID)
			}
			continue
		}
		seen[k.ID] = k.Bytes
		block, err := aes.NewCipher(k.Bytes[:])
		if err != nil {
			return nil, fmt.Errorf("encryption key %q: %w", k.ID, err)
		}
		// NewGCMWithRandomNonce draws a fresh 96-bit nonce from crypto/rand
		// for every Seal and prefixes it to the output.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("encryption key %q: %w", k.ID, err)
		}
		kr.aeads[k.ID] = aead
		kr.ids = append(kr.ids, k.ID)
	}
	return kr, nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyID {
		return fmt.Errorf("encryption key id %q must be 1 to %d characters", id, maxKeyID)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("encryption key id %q may hold only letters, digits, '-' and '_'", id)
		}
	}
	return nil
}

// PrimaryID is the id of the key Seal uses.
func (kr *Keyring) PrimaryID() string { return kr.primary }

// Seal encrypts plaintext under the primary key, binding aad, and returns
// the sealed text.
func (kr *Keyring) Seal(plaintext, aad []byte) (string, error) {
	if kr == nil {
		return "", errors.New("no encryption keyring configured")
	}
	aead := kr.aeads[kr.primary]
	ct := aead.Seal(nil, nil, plaintext, boundAAD(kr.primary, aad))
	return version + ":" + kr.primary + ":" + base64.RawURLEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal with the same aad, using whichever
// key of the keyring its id names.
func (kr *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	if kr == nil {
		return nil, errors.New("no encryption keyring configured")
	}
	id, ct, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: the value names key id %q, the keyring holds %s; configure the key it was sealed with as an old key",
			ErrUnknownKey, id, strings.Join(quoteAll(kr.ids), ", "))
	}
	pt, err := aead.Open(nil, nil, ct, boundAAD(id, aad))
	if err != nil {
		return nil, fmt.Errorf("%w (key id %q): it was altered, or it belongs to another row or column", ErrAuth, id)
	}
	return pt, nil
}

// NeedsReseal reports whether sealed was made with a key other than the
// primary, so that rewriting it moves it to the primary key. Malformed
// values report false: resealing cannot fix them.
func (kr *Keyring) NeedsReseal(sealed string) bool {
	id, _, err := parse(sealed)
	return err == nil && id != kr.primary
}

// parse splits a sealed value without trusting it: bounded key id, strict
// base64, and room for at least a nonce and a tag.
func parse(sealed string) (id string, ct []byte, err error) {
	rest, ok := strings.CutPrefix(sealed, version+":")
	if !ok {
		return "", nil, fmt.Errorf("%w: it lacks the %q prefix", ErrMalformed, version+":")
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok || checkKeyID(id) != nil {
		return "", nil, fmt.Errorf("%w: the key id is missing or invalid", ErrMalformed)
	}
	ct, err = base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return "", nil, fmt.Errorf("%w: the body is not base64url", ErrMalformed)
	}
	if len(ct) < gcmNonceSize+gcmTagSize {
		return "", nil, fmt.Errorf("%w: the body is too short", ErrMalformed)
	}
	return id, ct, nil
}

const (
	gcmNonceSize = 12
	gcmTagSize   = 16
)

// boundAAD also binds the format version and key id, so neither can be
// rewritten in the header without failing authentication.
func boundAAD(id string, aad []byte) []byte {
	var b bytes.Buffer
	b.WriteString(version)
	b.WriteByte(0)
	b.WriteString(id)
	b.WriteByte(0)
	b.Write(aad)
	return b.Bytes()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
