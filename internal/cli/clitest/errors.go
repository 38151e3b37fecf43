package clitest

import (
	"errors"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
)

// WantError fails t unless err is a *tm.Error with the given code whose
// text (message and hint) contains every one of want.
func WantError(t testing.TB, err error, code string, want ...string) {
	t.Helper()
	var te *tm.Error
	if !errors.As(err, &te) || te.Code != code {
		t.Fatalf("error %v (%T); want a tm.Error with code %s", err, err, code)
	}
	for _, s := range want {
		if !strings.Contains(te.Error(), s) {
			t.Errorf("error lacks %q:\n%s", s, te.Error())
		}
	}
}
