package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/mcp/mcptest"
	"github.com/ticket-mate/tm/internal/server"
	"github.com/ticket-mate/tm/internal/servertest"
)

// BenchmarkMCP times create_ticket and search_issues called by the SDK's
// client through tm mcp (stdio, an API token straight to the sandbox) and
// through tm serve's /mcp (a ticket-mate token; the server calls Jira as
// the person), with the sandbox at cliLatency. Warm: the create metadata
// is cached by the first call, so each call is one Jira round trip.
func BenchmarkMCP(b *testing.B) {
	calls := []struct {
		name string
		args map[string]any
	}{
		{"create_ticket", map[string]any{"project": "SPACE2", "summary": "Bench", "description": "Some **Markdown**"}},
		{"search_issues", map[string]any{"jql": "project = SPACE2 ORDER BY created DESC", "limit": 20}},
	}
	for _, via := range []string{"stdio", "http"} {
		for _, c := range calls {
			b.Run(c.name+"/"+via, func(b *testing.B) {
				s := servertest.Start(b, servertest.Options{Latency: cliLatency, Devices: server.DeviceOptions{GatewayRate: 1e6, GatewayBurst: 1e6}})
				var cs *sdk.ClientSession
				if via == "stdio" {
					cs = stdioSession(b, newCLIWorld(b, s.Sandbox, &http.Client{}, siteEnv(s.Sandbox)))
				} else {
					tok := s.SignIn(b, 0, 0).Token(b, false)
					tr := &sdk.StreamableClientTransport{Endpoint: s.URL + "/mcp",
						HTTPClient: mcptest.Bearer(tok)}
					var err error
					if cs, err = sdk.NewClient(&sdk.Implementation{Name: "bench"}, nil).Connect(b.Context(), tr, nil); err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = cs.Close() })
				}
				call := func() {
					res, err := cs.CallTool(b.Context(), &sdk.CallToolParams{Name: c.name, Arguments: c.args})
					if err != nil || res.IsError {
						b.Fatalf("%s: %v %+v", c.name, err, res)
					}
				}
				call() // first contact: connections, create metadata
				s.Sandbox.E.ResetRequests()
				var wall time.Duration
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					call()
					wall += time.Since(start)
				}
				b.StopTimer()
				n := 0
				for _, v := range s.Sandbox.E.Requests() {
					n += v
				}
				b.ReportMetric(float64(n)/float64(b.N), "requests/op")
				b.ReportMetric(float64(wall)/float64(b.N)/float64(time.Millisecond), "ms/call")
				b.ReportMetric(float64(wall)/float64(b.N)/float64(cliLatency), "round-trips/op")
			})
		}
	}
}

// stdioSession runs tm mcp in process on w, its stdin and stdout piped to
// the SDK's client.
func stdioSession(b *testing.B, w *cliWorld) *sdk.ClientSession {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	w.f.IO.In, w.f.IO.Out = inR, outW
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(w.f, []string{"mcp", "-p", "SPACE2"})
		outW.Close()
	}()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "bench"}, nil).Connect(b.Context(), &sdk.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cs.Close()
		inW.Close()
		<-done
	})
	return cs
}
