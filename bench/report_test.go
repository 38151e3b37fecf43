package main

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// TestPlot: the plot is well-formed SVG with one line and one label per
// series that has points, every point inside the drawing.
func TestPlot(t *testing.T) {
	svg := plot("t", "x", "y", []series{
		{"a", "#000", []point{{0, 1}, {10, 5}, {20, 2}}},
		{"empty", "#111", nil},
	})
	if err := xml.Unmarshal(svg, new(struct{})); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if n := strings.Count(string(svg), "<polyline"); n != 1 {
		t.Errorf("%d lines, want 1 (none for a series without points)", n)
	}
	if strings.Contains(string(svg), ">empty<") {
		t.Error("a series without points has a label")
	}
	if strings.Contains(string(svg), `="-`) {
		t.Error("a coordinate falls outside the drawing")
	}
}

// TestQuantile: median and p90 pick from the sorted samples, wall time,
// RSS and the two CPU times each on its own.
func TestQuantile(t *testing.T) {
	var s []sample
	for _, i := range []int{5, 1, 9, 3, 7, 2, 8, 4, 6, 10} {
		d := time.Duration(i) * time.Millisecond
		s = append(s, sample{wall: d, rss: int64(11 - i), cpu: 11*time.Millisecond - d, sandboxCPU: 2 * d})
	}
	if m := median(s); m.wall != 5*time.Millisecond || m.rss != 5 || m.cpu != 5*time.Millisecond || m.sandboxCPU != 10*time.Millisecond {
		t.Errorf("median %+v, want 5ms, 5, 5ms and 10ms", m)
	}
	if p := p90(s); p.wall != 9*time.Millisecond || p.rss != 9 || p.cpu != 9*time.Millisecond || p.sandboxCPU != 18*time.Millisecond {
		t.Errorf("p90 %+v, want 9ms, 9, 9ms and 18ms", p)
	}
}
