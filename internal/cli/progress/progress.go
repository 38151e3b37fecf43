// Package progress owns what people see while tm waits on Jira: a spinner
// on stderr naming the step, shown only when the wait passes a short delay
// and only on a terminal. Under NO_COLOR or TERM=dumb it prints one static
// line instead of animating; piped, it prints nothing. Commands start one;
// the factory's HTTP transport names the step from the request in flight.
// It imports only the standard library and iostreams.
package progress

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ticket-mate/tm/internal/cli/iostreams"
)

// Delay is how long a wait lasts before it is shown.
var Delay = 300 * time.Millisecond

const interval = 100 * time.Millisecond

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Spinner is one wait. The zero of *Spinner (nil) is valid and does nothing.
type Spinner struct {
	io      *iostreams.IOStreams
	animate bool

	mu      sync.Mutex
	label   string
	shown   bool // something is on the line (animated) or was printed (static)
	stopped bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// Start begins a wait named label ("Creating ticket…"). It returns nil when
// stderr is not a terminal.
func Start(ios *iostreams.IOStreams, label string) *Spinner {
	if ios == nil || !ios.IsStderrTTY() {
		return nil
	}
	s := &Spinner{io: ios, animate: ios.CanAnimate(), label: label, done: make(chan struct{})}
	s.wg.Add(1)
	go s.run()
	return s
}

func (s *Spinner) run() {
	defer s.wg.Done()
	select {
	case <-s.done:
		return
	case <-time.After(Delay):
	}
	if !s.animate {
		s.mu.Lock()
		if !s.stopped {
			fmt.Fprintf(s.io.ErrOut, "%s\n", s.label)
			s.shown = true
		}
		s.mu.Unlock()
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; ; i++ {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		fmt.Fprintf(s.io.ErrOut, "\r\x1b[K%s %s", frames[i%len(frames)], s.label)
		s.shown = true
		s.mu.Unlock()
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
	}
}

// Set renames the step in progress.
func (s *Spinner) Set(label string) {
	if s == nil || label == "" {
		return
	}
	s.mu.Lock()
	s.label = label
	s.mu.Unlock()
}

// Stop ends the wait and clears the spinner's line, so what the command
// prints next starts on a clean line. It is safe to call more than once.
func (s *Spinner) Stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	close(s.done)
	if s.shown && s.animate {
		fmt.Fprint(s.io.ErrOut, "\r\x1b[K")
	}
	s.mu.Unlock()
	s.wg.Wait()
}

type ctxKey struct{}

// With returns ctx carrying s, so the HTTP layer can name the step.
func With(ctx context.Context, s *Spinner) context.Context {
	if s == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, s)
}

// Step renames the wait carried by ctx, if any.
func Step(ctx context.Context, label string) {
	if s, _ := ctx.Value(ctxKey{}).(*Spinner); s != nil {
		s.Set(label)
	}
}

// Begin starts a wait named label and returns ctx carrying it with the
// function that ends it; call the latter before printing results.
func Begin(ctx context.Context, ios *iostreams.IOStreams, label string) (context.Context, func()) {
	s := Start(ios, label)
	return With(ctx, s), s.Stop
}
