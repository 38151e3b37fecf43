package factory

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestShortCollector: a command with a deadline collects at
// ShortCollectorPercent when GOGC is not set, and at the operator's GOGC
// when it is.
func TestShortCollector(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	t.Setenv("GOGC", "") // restored afterwards
	os.Unsetenv("GOGC")
	New().Collector()
	if p := debug.SetGCPercent(100); p != ShortCollectorPercent {
		t.Errorf("GOGC unset: the collector's target is %d, want %d", p, ShortCollectorPercent)
	}

	os.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // as the runtime read it at start
	New().Collector()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("GOGC=150: the collector's target is %d, want the operator's 150", p)
	}
}
