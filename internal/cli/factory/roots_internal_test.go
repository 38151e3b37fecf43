package factory

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRootsLoadBesideTheFirstHTTPSRequest: the system's certificate roots
// start loading as the first HTTPS request leaves, once, and not at all for
// a site on plain HTTP.
func TestRootsLoadBesideTheFirstHTTPSRequest(t *testing.T) {
	var loads atomic.Int32
	loaded := make(chan struct{}, 8)
	before := loadSystemRoots
	loadSystemRoots = func() {
		loads.Add(1)
		loaded <- struct{}{}
	}
	t.Cleanup(func() { loadSystemRoots = before })

	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("{}")) })
	plain := httptest.NewServer(ok)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(ok)
	t.Cleanup(secure.Close)

	f := &Factory{HTTPClient: func() *http.Client { return secure.Client() }}
	hc := f.jiraHTTPClient()
	get := func(url string) {
		t.Helper()
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	get(plain.URL)
	select {
	case <-loaded:
		t.Fatal("the roots were loaded for a request over plain HTTP")
	case <-time.After(50 * time.Millisecond):
	}
	get(secure.URL)
	select {
	case <-loaded:
	case <-time.After(5 * time.Second):
		t.Fatal("the first HTTPS request did not start loading the roots")
	}
	get(secure.URL)
	time.Sleep(50 * time.Millisecond)
	if n := loads.Load(); n != 1 {
		t.Errorf("the roots were loaded %d times; want once", n)
	}
}
