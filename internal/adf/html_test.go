package adf_test

import (
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/adf"
)

// TestHTML: a preview renders Markdown and never passes raw HTML or a
// script link through.
func TestHTML(t *testing.T) {
	got, err := adf.HTML([]byte("**bold** <script>alert(1)</script> [x](javascript:alert(1))\n\n- a\n- b"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<strong>bold</strong>", "<li>a</li>"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	for _, bad := range []string{"<script", "javascript:"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q contains %q", got, bad)
		}
	}
}
