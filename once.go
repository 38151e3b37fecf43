package tm

import (
	"context"
	"time"
)

// OnceRecord is a request that must take effect once (a create carrying an
// Idempotency-Key): what it was, and once it finished, what was answered,
// so that a repeat gets the same answer instead of a second ticket.
type OnceRecord struct {
	BodyHash  []byte // SHA-256 of the request body
	CreatedAt time.Time
	Done      bool // the first request has finished and Answer is final
	Answer    OnceAnswer
}

// OnceAnswer is the HTTP answer of a finished once-only request.
type OnceAnswer struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// OnceStore remembers once-only requests in the database, so every replica
// that shares it sees the same ones.
type OnceStore interface {
	// ClaimOnce records that the user's request under key starts now and
	// is remembered until expires. claimed is true for exactly one caller;
	// every other gets the record as it stands.
	ClaimOnce(ctx context.Context, userID, key string, bodyHash []byte, expires time.Time) (rec OnceRecord, claimed bool, err error)
	// FinishOnce stores the claimed request's answer.
	FinishOnce(ctx context.Context, userID, key string, a OnceAnswer) error
	// GetOnce reads the record of the user's request under key.
	GetOnce(ctx context.Context, userID, key string) (OnceRecord, error)
}
