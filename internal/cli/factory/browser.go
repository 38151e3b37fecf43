package factory

import (
	"errors"
	"io"

	"github.com/cli/browser"
)

// ErrNoBrowser says no browser could be opened; the caller has already
// shown the link, so one line saying so is all a person needs.
var ErrNoBrowser = errors.New("no browser could be opened here")

// OpenBrowser shows url in the person's browser. The launcher (xdg-open and
// friends) writes pages of noise to the terminal when there is no browser;
// that output is discarded and any failure becomes ErrNoBrowser.
func OpenBrowser(url string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	if err := browser.OpenURL(url); err != nil {
		return ErrNoBrowser
	}
	return nil
}
