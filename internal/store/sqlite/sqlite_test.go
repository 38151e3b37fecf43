package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/ticket-mate/tm/internal/store/storetest"
)

// TestContract runs the store contract on real SQLite files.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB) string {
		return "sqlite:" + filepath.Join(t.TempDir(), "tm.db")
	})
}
