package ticket

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ticket-mate/tm"
)

// Jira's limits, in characters.
const (
	MaxSummary = 255
	// MaxText is the most Jira keeps in a description, a comment or any
	// other text-area field.
	MaxText = 32767
)

// CheckSummary trims s and refuses what Jira would refuse, before anything
// is sent: an empty summary, one longer than MaxSummary characters (not
// bytes), line breaks, NUL bytes and invalid UTF-8.
func CheckSummary(s string) (string, error) {
	if err := checkEncoding("summary", s); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case s == "":
		return "", detailed(&tm.Error{Code: tm.EINVALID, Message: "a summary is required"}, &Detail{Field: "summary"})
	case n > MaxSummary:
		return "", detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("the summary is %d characters; Jira takes at most %d", n, MaxSummary),
			Hint:    "Shorten it, and put the rest in the description."}, &Detail{Field: "summary"})
	case strings.ContainsAny(s, "\r\n"):
		return "", detailed(&tm.Error{Code: tm.EINVALID, Message: "the summary contains a line break; Jira summaries are one line",
			Hint: "Put the first line in the summary and the rest in the description."}, &Detail{Field: "summary"})
	}
	return s, nil
}

// CheckText refuses a description, comment or text-area value (what, e.g.
// "description") that Jira would refuse: longer than MaxText characters,
// NUL bytes, invalid UTF-8.
func CheckText(what, s string) error {
	if err := checkEncoding(what, s); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(s); n > MaxText {
		return detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("the %s is %d characters; Jira keeps at most %d", what, n, MaxText),
			Hint:    "Shorten it, or attach long logs to the ticket as a file."}, &Detail{Field: what})
	}
	return nil
}

func checkEncoding(what, s string) error {
	if !utf8.ValidString(s) {
		return detailed(&tm.Error{Code: tm.EINVALID, Message: "the " + what + " is not valid UTF-8 text",
			Hint: "Save the text as UTF-8 and try again."}, &Detail{Field: what})
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return detailed(&tm.Error{Code: tm.EINVALID,
			Message: fmt.Sprintf("the %s contains a NUL byte (at character %d); Jira refuses it", what, utf8.RuneCountInString(s[:i])+1),
			Hint:    "Is it a binary file? Send text only."}, &Detail{Field: what})
	}
	return nil
}

// CheckLabels drops empty labels and refuses the ones Jira would refuse.
func CheckLabels(labels []string) ([]string, error) {
	var out []string
	for _, l := range labels {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if err := checkEncoding("label", l); err != nil {
			return nil, err
		}
		if strings.ContainsAny(l, " \t\r\n") {
			fix := strings.Join(strings.Fields(l), "-")
			return nil, detailed(&tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("label %q contains a space; Jira labels cannot", clip(l, 60)),
				Hint: "Use a dash or underscore instead: " + fix}, &Detail{Field: "labels", Example: fix})
		}
		if n := utf8.RuneCountInString(l); n > MaxSummary {
			return nil, detailed(&tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("a label is %d characters; Jira takes at most %d", n, MaxSummary)}, &Detail{Field: "labels"})
		}
		out = append(out, l)
	}
	return out, nil
}

// clip shortens s to at most n characters for a message.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
