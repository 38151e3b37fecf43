package ticket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/emulator"
	"github.com/ticket-mate/tm/internal/emulator/emulatortest"
	"github.com/ticket-mate/tm/internal/jira"
	"github.com/ticket-mate/tm/internal/ticket"
)

// replay answers every request with one body, so that a benchmark
// measures what tm does with a page rather than the network or the
// sandbox.
type replay []byte

func (r replay) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Request: req, ContentLength: int64(len(r)),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(r))}, nil
}

// BenchmarkReadIssuePage reads a page of 100 issues with the list fields,
// as the sandbox sends it for bulkfetch, into the domain's issues: the
// decoding of the page and of each issue's fields.
func BenchmarkReadIssuePage(b *testing.B) {
	s := emulatortest.Start(b, emulator.Options{Seed: emulator.SeedWithIssues(100)})
	auth := jira.BasicAuth{Email: s.You().Email, Token: tm.Secret(s.You().ClassicToken)}
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "SPACE2-" + strconv.Itoa(101+i)
	}
	ctx := context.Background()
	req, _ := json.Marshal(map[string]any{"issueIdsOrKeys": keys, "fields": ticket.ListFields})
	page, err := jira.NewClient(nil, s.URL, auth).Raw(ctx, http.MethodPost, "issue/bulkfetch", req)
	if err != nil {
		b.Fatal(err)
	}
	svc := ticket.New(jira.NewClient(&http.Client{Transport: replay(page)}, s.URL, auth), nil)
	b.ReportAllocs()
	for b.Loop() {
		issues, err := svc.Issues(ctx, keys)
		if err != nil || len(issues) != len(keys) || issues[0].Summary == "" {
			b.Fatalf("%d issues, %v", len(issues), err)
		}
	}
	b.ReportMetric(float64(len(page)), "page-bytes")
}
