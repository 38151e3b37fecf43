package emulator

import (
	"crypto/rand"
	"encoding/hex"
)

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b64url = alnum + "-_"
	b64std = alnum + "+/"
)

// apiTokenLength is the length of current Atlassian API tokens (contract §C).
const apiTokenLength = 192

// mintAPIToken returns a fresh token shaped like Atlassian's: ATATT3x and
// base64url characters, 192 in all.
func mintAPIToken() string {
	const prefix = "ATATT3x"
	return prefix + randomString(b64url, apiTokenLength-len(prefix))
}

// mintPAT returns a Data Center personal access token: 44 base64 characters.
func mintPAT() string { return randomString(b64std, 44) }

// randomString draws n characters of alphabet (64 or fewer) from crypto/rand.
func randomString(alphabet string, n int) string {
	buf := make([]byte, n)
	rand.Read(buf)
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf)
}

func randomHex(nbytes int) string {
	b := make([]byte, nbytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}
