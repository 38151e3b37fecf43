package server

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// writeGoMetrics writes the go_* series Prometheus's Go collector exports,
// under the same names and types, from runtime.MemStats and debug.ReadGCStats.
func writeGoMetrics(e *exposition) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var gc debug.GCStats
	gc.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&gc)

	e.family("go_gc_duration_seconds", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", "summary")
	for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		e.sample("go_gc_duration_seconds", `quantile="`+q+`"`, gc.PauseQuantiles[i].Seconds())
	}
	e.sample("go_gc_duration_seconds_sum", "", gc.PauseTotal.Seconds())
	e.sample("go_gc_duration_seconds_count", "", float64(gc.NumGC))

	gauge := func(name, help string, v float64) {
		e.family(name, help, "gauge")
		e.sample(name, "", v)
	}
	count := func(name, help string, v float64) {
		e.family(name, help, "counter")
		e.sample(name, "", v)
	}
	gauge("go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable.", gogcPercent())
	gauge("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function.", float64(debug.SetMemoryLimit(-1)))
	gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	e.family("go_info", "Information about the Go environment.", "gauge")
	e.sample("go_info", `version="`+escapeLabel(runtime.Version())+`"`, 1)

	gauge("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", float64(ms.Alloc))
	count("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", float64(ms.TotalAlloc))
	gauge("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table.", float64(ms.BuckHashSys))
	count("go_memstats_frees_total", "Total number of heap objects frees.", float64(ms.Frees))
	gauge("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata.", float64(ms.GCSys))
	gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes.", float64(ms.HeapAlloc))
	gauge("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", float64(ms.HeapIdle))
	gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", float64(ms.HeapInuse))
	gauge("go_memstats_heap_objects", "Number of currently allocated objects.", float64(ms.HeapObjects))
	gauge("go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", float64(ms.HeapReleased))
	gauge("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", float64(ms.HeapSys))
	gauge("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", float64(ms.LastGC)/1e9)
	count("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed.", float64(ms.Mallocs))
	gauge("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures.", float64(ms.MCacheInuse))
	gauge("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system.", float64(ms.MCacheSys))
	gauge("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures.", float64(ms.MSpanInuse))
	gauge("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system.", float64(ms.MSpanSys))
	gauge("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", float64(ms.NextGC))
	gauge("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations.", float64(ms.OtherSys))
	gauge("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments.", float64(ms.StackInuse))
	gauge("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator.", float64(ms.StackSys))
	gauge("go_memstats_sys_bytes", "Number of bytes obtained from system.", float64(ms.Sys))
	gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously.", float64(runtime.GOMAXPROCS(0)))
	threads, _ := runtime.ThreadCreateProfile(nil)
	gauge("go_threads", "Number of OS threads created.", float64(threads))
}

// gogcPercent is the collector's target. The runtime offers no way to read
// it other than runtime/metrics, whose import costs every command a
// millisecond; tm sets it only in TuneCollector, so that and the
// environment are the whole truth.
func gogcPercent() float64 {
	if p := collectorSet.Load(); p != 0 {
		return float64(p)
	}
	v := os.Getenv("GOGC")
	if v == "off" {
		return -1
	}
	if n, err := strconv.Atoi(v); err == nil {
		return float64(n)
	}
	return 100
}

// writeProcessMetrics writes the process_* series Prometheus's process
// collector exports, read from /proc/self on Linux; elsewhere (or where
// /proc is not mounted) the series are left out, as the collector does.
func writeProcessMetrics(e *exposition) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: f[0] is the state (field 3 in proc(5)).
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 22 {
		return
	}
	field := func(n int) float64 { // n counts as proc(5) does, from 1
		v, _ := strconv.ParseFloat(f[n-3], 64)
		return v
	}
	const userHZ = 100 // what Linux reports in /proc, whatever the kernel's HZ
	gauge := func(name, help string, v float64) {
		e.family(name, help, "gauge")
		e.sample(name, "", v)
	}
	e.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter")
	e.sample("process_cpu_seconds_total", "", (field(14)+field(15))/userHZ)
	gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", field(23))
	gauge("process_resident_memory_bytes", "Resident memory size in bytes.", field(24)*float64(os.Getpagesize()))
	if boot, ok := bootTime(); ok {
		gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", boot+field(22)/userHZ)
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		gauge("process_open_fds", "Number of open file descriptors.", float64(len(fds)))
	}
	if limits, err := os.ReadFile("/proc/self/limits"); err == nil {
		if v, ok := softLimit(limits, "Max open files"); ok {
			gauge("process_max_fds", "Maximum number of open file descriptors.", v)
		}
		if v, ok := softLimit(limits, "Max address space"); ok {
			gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", v)
		}
	}
	if rx, tx, ok := netBytes(); ok {
		e.family("process_network_receive_bytes_total", "Number of bytes received by the process over the network.", "counter")
		e.sample("process_network_receive_bytes_total", "", rx)
		e.family("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.", "counter")
		e.sample("process_network_transmit_bytes_total", "", tx)
	}
}

// bootTime is the system's boot time in seconds since the epoch.
func bootTime() (float64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n, err == nil
		}
	}
	return 0, false
}

// softLimit reads one soft limit from /proc/self/limits; "unlimited" is the
// largest uint64, as Prometheus's collector reports it.
func softLimit(limits []byte, name string) (float64, bool) {
	for line := range strings.Lines(string(limits)) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		if f[0] == "unlimited" {
			return float64(^uint64(0)), true
		}
		n, err := strconv.ParseFloat(f[0], 64)
		return n, err == nil
	}
	return 0, false
}

// netBytes sums received and sent bytes over the interfaces in the
// process's network namespace (/proc/self/net/dev).
func netBytes() (rx, tx float64, ok bool) {
	file, err := os.Open("/proc/self/net/dev")
	if err != nil {
		return 0, 0, false
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		_, counters, found := strings.Cut(sc.Text(), ":")
		if !found {
			continue // the two header lines
		}
		f := strings.Fields(counters)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseFloat(f[0], 64)
		t, _ := strconv.ParseFloat(f[8], 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx, sc.Err() == nil
}
