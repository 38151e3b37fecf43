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

// TestQuantile: median and p90 pick from the sorted samples, wall time and
// RSS each on its own.
func TestQuantile(t *testing.T) {
	var s []sample
	for _, i := range []int{5, 1, 9, 3, 7, 2, 8, 4, 6, 10} {
		s = append(s, sample{time.Duration(i) * time.Millisecond, int64(11 - i)})
	}
	if m := median(s); m.wall != 5*time.Millisecond || m.rss != 5 {
		t.Errorf("median %+v, want 5ms and 5", m)
	}
	if p := p90(s); p.wall != 9*time.Millisecond || p.rss != 9 {
		t.Errorf("p90 %+v, want 9ms and 9", p)
	}
}
