package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ticket-mate/tm/internal/config"
)

// TestServeLimits: tm serve's token lifetime and per-person budget come
// from any source, read in the forms the documentation gives, and a bad
// value names the variable and what it accepts.
func TestServeLimits(t *testing.T) {
	good := []struct {
		lifetime, rate, burst string
		wantLife              time.Duration
		wantRate              float64
		wantBurst             int
	}{
		{"30d", "2.5", "5", 30 * 24 * time.Hour, 2.5, 5},
		{"12h", "0.5", "1", 12 * time.Hour, 0.5, 1},
		{" 400d ", "100", "1000", 400 * 24 * time.Hour, 100, 1000},
	}
	for _, g := range good {
		w := newWorld(t)
		w.env[config.KeyTokenLifetime], w.env[config.KeyGatewayRate], w.env[config.KeyGatewayBurst] = g.lifetime, g.rate, g.burst
		c := w.mustLoad()
		if c.TokenLifetime != g.wantLife || c.GatewayRate != g.wantRate || c.GatewayBurst != g.wantBurst {
			t.Errorf("%q %q %q: got %v %v %v", g.lifetime, g.rate, g.burst, c.TokenLifetime, c.GatewayRate, c.GatewayBurst)
		}
		if s, _ := c.Setting(config.KeyTokenLifetime); s.Value != config.FormatLifetime(g.wantLife) || s.Source.String() == "default" {
			t.Errorf("%s shown as %q from %s", config.KeyTokenLifetime, s.Value, s.Source)
		}
	}
	// A ticket-mate.json sets them too.
	w := newWorld(t)
	w.write("ticket-mate.json", `{"deviceTokenLifetime": "7d", "gatewayRate": "3", "gatewayBurst": "9"}`)
	if c := w.mustLoad(); c.TokenLifetime != 7*24*time.Hour || c.GatewayRate != 3 || c.GatewayBurst != 9 {
		t.Errorf("from ticket-mate.json: %v %v %v", c.TokenLifetime, c.GatewayRate, c.GatewayBurst)
	}

	bad := []struct{ key, value, want string }{
		{config.KeyTokenLifetime, "forever", `"forever" is not a lifetime; use days (90d) or a Go duration (720h)`},
		{config.KeyTokenLifetime, "30s", `"30s" is out of range; a token lasts from 1m to 400d`},
		{config.KeyTokenLifetime, "401d", `"401d" is out of range`},
		{config.KeyGatewayRate, "0", `"0" is not a request rate; give requests per second per person`},
		{config.KeyGatewayRate, "NaN", `"NaN" is not a request rate`},
		{config.KeyGatewayBurst, "2.5", `"2.5" is not a burst size`},
		{config.KeyGatewayBurst, "0", `"0" is not a burst size`},
	}
	for _, b := range bad {
		w := newWorld(t)
		w.env[b.key] = b.value
		msg, _ := w.mustFail()
		if !strings.Contains(msg, b.key) || !strings.Contains(msg, b.want) {
			t.Errorf("%s=%s: %q, want the variable and %q", b.key, b.value, msg, b.want)
		}
	}
}
