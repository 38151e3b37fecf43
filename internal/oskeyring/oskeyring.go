// Package oskeyring owns tm's use of the operating system's credential
// store (macOS Keychain, Windows Credential Manager, the Secret Service on
// Linux desktops) through github.com/zalando/go-keyring. It says "not
// found" and "unavailable" apart, so the caller can fall back to its file
// where no keyring answers (servers, containers, CI), and bounds every call:
// a keyring that hangs must not hang tm.
//
// It imports nothing of the project.
package oskeyring

import (
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the name tm's entries are kept under.
const Service = "ticket-mate"

// timeout bounds one keyring call (a locked keyring may prompt; tm does not wait for that).
const timeout = 3 * time.Second

var (
	// ErrNotFound means the keyring answered and has no such entry.
	ErrNotFound = errors.New("no such keyring entry")
	// ErrUnavailable means no keyring answered.
	ErrUnavailable = errors.New("no OS keyring is available")
)

// Keyring is an OS keyring, or a stand-in for one.
type Keyring interface {
	Get(user string) (string, error)
	Set(user, value string) error
	Delete(user string) error
}

// System is the OS keyring (or go-keyring's mock after keyring.MockInit).
type System struct{}

// Get returns the entry for user.
func (System) Get(user string) (string, error) {
	var v string
	err := bounded(func() (err error) { v, err = keyring.Get(Service, user); return })
	return v, err
}

// Set stores value for user.
func (System) Set(user, value string) error {
	return bounded(func() error { return keyring.Set(Service, user, value) })
}

// Delete removes user's entry; a missing one is ErrNotFound.
func (System) Delete(user string) error {
	return bounded(func() error { return keyring.Delete(Service, user) })
}

func bounded(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case errors.Is(err, keyring.ErrNotFound):
			return ErrNotFound
		}
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case <-time.After(timeout):
		return fmt.Errorf("%w: it did not answer within %s", ErrUnavailable, timeout)
	}
}
