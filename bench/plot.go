package main

import (
	"fmt"
	"strings"
)

type point struct{ X, Y float64 }

type series struct {
	Name, Color string
	Points      []point
}

// plot draws series as lines on linear axes from zero, as a small SVG.
func plot(title, xLabel, yLabel string, ss []series) []byte {
	const w, h, l, r, t, bm = 640.0, 360.0, 60.0, 20.0, 30.0, 40.0
	maxX, maxY := 1.0, 1.0
	for _, s := range ss {
		for _, p := range s.Points {
			maxX, maxY = max(maxX, p.X), max(maxY, p.Y)
		}
	}
	maxY *= 1.1
	sx := func(x float64) float64 { return l + x/maxX*(w-l-r) }
	sy := func(y float64) float64 { return h - bm - y/maxY*(h-t-bm) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%.0f" y="18" font-size="14">%s</text>`+"\n", l, esc(title))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/><line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="black"/>`+"\n",
		l, h-bm, w-r, h-bm, l, t, l, h-bm)
	for i := 0; i <= 4; i++ {
		y := maxY * float64(i) / 4
		x := maxX * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%.0f</text>`, l-4, sy(y)+4, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%.0f</text>`+"\n", sx(x), h-bm+16, x)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text><text x="12" y="%.0f" transform="rotate(-90 12 %.0f)" text-anchor="middle">%s</text>`+"\n",
		(l+w-r)/2, h-6, esc(xLabel), (t+h-bm)/2, (t+h-bm)/2, esc(yLabel))
	for i, s := range ss {
		if len(s.Points) == 0 {
			continue
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(p.X), sy(p.Y)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, sx(p.X), sy(p.Y), s.Color)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", s.Color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`+"\n", w-r-80, t+16*float64(i+1), s.Color, esc(s.Name))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
