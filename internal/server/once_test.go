package server_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestDoubleSubmitAcrossReplicas: a double submit whose two requests land
// on two servers sharing one database makes one ticket, and both get its key.
func TestDoubleSubmitAcrossReplicas(t *testing.T) {
	testDoubleSubmitAcrossReplicas(t, envOptions{})
}

func testDoubleSubmitAcrossReplicas(t *testing.T, o envOptions) {
	if o.databaseURL == "" {
		o.databaseURL = "sqlite:" + filepath.Join(t.TempDir(), "tm.db")
	}
	o.key = testKeyring(t)
	a := newEnv(t, o)
	o.sandbox = a.sb
	b := newEnv(t, o)
	// One person: signed in on a, their session cookie works on b (the
	// session lives in the shared database; cookies ignore the port).
	br := a.browser()
	br.connect(0, 0)
	creates := func() int { return a.sb.E.Requests()["POST /rest/api/3/issue"] }

	before := creates()
	keys := make([]string, 4)
	var wg sync.WaitGroup
	for i := range keys {
		base := a.URL
		if i%2 == 1 {
			base = b.URL
		}
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, base+"/api/tickets", strings.NewReader(`{"project":"SPACE2","summary":"Across replicas","type":"Task"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "replica-key-1")
			p := br.do(req)
			var out struct{ Key string }
			if p.Status != http.StatusCreated || json.Unmarshal([]byte(p.Body), &out) != nil {
				t.Errorf("submit %d to %s: HTTP %d %s", i, base, p.Status, p.Body)
			}
			keys[i] = out.Key
		})
	}
	wg.Wait()
	if n := creates() - before; n != 1 {
		t.Errorf("%d tickets created by one key sent to two replicas; want 1", n)
	}
	for i := range keys {
		if keys[i] == "" || keys[i] != keys[0] {
			t.Errorf("answers %v; want the one ticket's key in every answer", keys)
			break
		}
	}
}
