package ticket

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFlightsAskOnce: callers asking for a key while it is being fetched
// wait for that fetch; those after it get its answer as cached.
func TestFlightsAskOnce(t *testing.T) {
	var f flights[string, int]
	var calls atomic.Int32
	release := make(chan struct{})
	fetch := func() (int, bool, error) {
		calls.Add(1)
		<-release
		return 42, false, nil
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	first := make(chan struct{})
	wg.Go(func() {
		close(first)
		if v, cached, err := f.do(ctx, "k", keptIfFound, fetch); v != 42 || cached || err != nil {
			t.Errorf("first caller: %d %v %v", v, cached, err)
		}
	})
	<-first
	for !f.has("k") {
		runtime.Gosched()
	}
	for range 8 {
		wg.Go(func() {
			if v, cached, err := f.do(ctx, "k", keptIfFound, fetch); v != 42 || !cached || err != nil {
				t.Errorf("waiting caller: %d %v %v", v, cached, err)
			}
		})
	}
	close(release)
	wg.Wait()
	if v, cached, _ := f.do(ctx, "k", keptIfFound, fetch); v != 42 || !cached {
		t.Errorf("later caller: %d %v", v, cached)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("fetched %d times, want once", n)
	}
}

// TestFlightsNotKept: an answer keep refuses, or a fetch its own caller
// gave up, answers no one after it; a waiter that gives up stops waiting.
func TestFlightsNotKept(t *testing.T) {
	ctx := context.Background()
	var f flights[string, int]
	calls := 0
	refused := errors.New("refused")
	for range 2 {
		f.do(ctx, "k", keptIfFound, func() (int, bool, error) { calls++; return 0, false, refused })
	}
	if calls != 2 {
		t.Errorf("a refusal not kept was fetched %d times, want 2", calls)
	}

	started, release := make(chan struct{}), make(chan struct{})
	go f.do(ctx, "gone", keptUnlessOffline, func() (int, bool, error) {
		close(started)
		<-release
		return 0, false, context.Canceled
	})
	<-started
	gaveUp, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := f.do(gaveUp, "gone", keptUnlessOffline, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a waiter whose context ended: %v", err)
	}
	waiting, done := make(chan struct{}), make(chan int)
	go func() {
		close(waiting)
		v, _, _ := f.do(ctx, "gone", keptUnlessOffline, func() (int, bool, error) { return 7, false, nil })
		done <- v
	}()
	<-waiting
	time.Sleep(20 * time.Millisecond) // to be waiting on the fetch, not after it
	close(release)
	if v := <-done; v != 7 {
		t.Errorf("after an abandoned fetch: %d, want a fetch of its own (7)", v)
	}

	f.forget(func(k string) bool { return k == "gone" })
	if f.has("gone") {
		t.Error("forget kept the answer")
	}
}

func (f *flights[K, V]) has(k K) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.m[k]
	return ok
}
