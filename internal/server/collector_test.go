package server

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestTuneCollector: tm serve sets the collector's target when GOGC is not
// set, reports the target it runs with on /metrics, and leaves an
// operator's GOGC alone.
func TestTuneCollector(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before); collectorSet.Store(0) })
	env, had := os.LookupEnv("GOGC")
	t.Cleanup(func() {
		if had {
			os.Setenv("GOGC", env)
		} else {
			os.Unsetenv("GOGC")
		}
	})

	os.Unsetenv("GOGC")
	TuneCollector()
	if p := debug.SetGCPercent(100); p != CollectorPercent {
		t.Errorf("GOGC unset: the collector's target is %d, want %d", p, CollectorPercent)
	}
	if got := gogcPercent(); got != CollectorPercent {
		t.Errorf("go_gc_gogc_percent reports %v, want %d", got, CollectorPercent)
	}

	collectorSet.Store(0)
	os.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // as the runtime read it at start
	TuneCollector()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("GOGC=150: the collector's target is %d, want the operator's 150", p)
	}
	if got := gogcPercent(); got != 150 {
		t.Errorf("go_gc_gogc_percent reports %v, want 150", got)
	}
}
