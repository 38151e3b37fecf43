package comment_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli"
	"github.com/ticket-mate/tm/internal/cli/tmtest"
	"github.com/ticket-mate/tm/internal/emulator"
)

// TestComment: Markdown from the argument, stdin and a file becomes ADF
// (Cloud) or wiki markup (Data Center); refusals say why.
func TestComment(t *testing.T) {
	for _, dc := range []bool{false, true} {
		w := tmtest.New(t, emulator.Options{DataCenter: dc})
		out := w.MustRun(t, "comment", "SPACE2-1", "Fixed in **1.4.2**")
		if !strings.Contains(out, "/browse/SPACE2-1?focusedCommentId=") {
			t.Errorf("stdout %q", out)
		}
		w.In.WriteString("from stdin")
		w.MustRun(t, "comment", "SPACE2-1", "-")
		var c tm.Comment
		if err := json.Unmarshal([]byte(w.MustRun(t, "comment", "space2-1", "--json", "third")), &c); err != nil || c.Body != "third" || c.Author != "Alex Morgan" {
			t.Errorf("--json: %+v %v", c, err)
		}
		var is tm.Issue
		_ = json.Unmarshal([]byte(w.MustRun(t, "view", "SPACE2-1", "--json", "--comments", "3")), &is)
		if len(is.Comments) != 3 || is.Comments[0].Body != "Fixed in 1.4.2" && !strings.Contains(is.Comments[0].Body, "*1.4.2*") || is.Comments[1].Body != "from stdin" {
			t.Errorf("dc=%v: comments as Jira has them: %+v", dc, is.Comments)
		}
		w.Fails(t, cli.ExitError, []string{"comment", "SPACE2-999", "x"}, "Issue SPACE2-999 does not exist")
		w.Fails(t, cli.ExitError, []string{"comment", "SPACE2-1", "  "}, "the comment is empty")
		w.Fails(t, cli.ExitError, []string{"comment", "SPACE2-1", strings.Repeat("x", 32768)}, "the comment is 32768 characters; Jira keeps at most 32767")
	}
}

// TestCommentHidden: an issue the user may not browse is one that does
// not exist, as Jira tells it.
func TestCommentHidden(t *testing.T) {
	w := tmtest.New(t, emulator.Options{})
	w.Fails(t, cli.ExitError, []string{"comment", "SECRET-1", "hello"}, "Issue SECRET-1 does not exist, or you cannot see it")
}
