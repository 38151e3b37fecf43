package adf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/ticket-mate/tm/internal/third_party/goldmark"
	gast "github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/extension"
	east "github.com/ticket-mate/tm/internal/third_party/goldmark/extension/ast"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/renderer/html"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/text"
)

// goldmarkGFM is goldmark with its own GFM extension: the oracle our
// extensions must agree with, node for node and byte for byte.
var goldmarkGFM = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.GFM))
})

// xhtml is ours and goldmark's extensions rendering XHTML, where tables
// align with attributes and checkboxes close themselves.
var xhtml = sync.OnceValue(func() [2]goldmark.Markdown {
	return [2]goldmark.Markdown{
		goldmark.New(goldmark.WithExtensions(gfm{}), goldmark.WithRendererOptions(html.WithXHTML())),
		goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithXHTML())),
	}
})

// example is one fenced Markdown example of testdata/gfm-*.txt, with the
// HTML the spec gives for it, if any.
type example struct {
	name, markdown, html string
}

func readExamples(t testing.TB, file string) []example {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	const fence = "````````````````````````````````"
	var out []example
	var cur *example
	var part *strings.Builder
	var md, want strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, fence+" example "):
			cur = &example{name: strings.TrimSpace(strings.TrimPrefix(line, fence+" example "))}
			md.Reset()
			want.Reset()
			part = &md
		case cur != nil && strings.TrimRight(line, "\n") == fence:
			cur.markdown = strings.ReplaceAll(md.String(), "→", "\t")
			cur.html = want.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil && line == ".\n":
			part = &want
		case cur != nil:
			part.WriteString(line)
		}
	}
	if cur != nil || len(out) == 0 {
		t.Fatalf("%s: unterminated example or none at all", file)
	}
	return out
}

// agree fails t unless our extensions and goldmark's give src the same
// syntax tree, the same HTML preview (and XHTML), the same ADF and the same
// wiki markup.
func agree(t *testing.T, src []byte) {
	t.Helper()
	ours, theirs := markdown(), goldmarkGFM()
	ourTree := ours.Parser().Parse(text.NewReader(src))
	theirTree := theirs.Parser().Parse(text.NewReader(src))
	if a, b := dumpTree(ourTree, src), dumpTree(theirTree, src); a != b {
		t.Fatalf("syntax trees of %q differ\nours:\n%s\ngoldmark:\n%s", src, a, b)
	}
	for _, md := range [][2]goldmark.Markdown{{ours, theirs}, xhtml()} {
		var a, b bytes.Buffer
		errA := md[0].Convert(src, &a)
		errB := md[1].Convert(src, &b)
		if errA != nil || errB != nil || a.String() != b.String() {
			t.Fatalf("HTML of %q differs\nours:     %q (%v)\ngoldmark: %q (%v)", src, a.String(), errA, b.String(), errB)
		}
	}
	if !utf8.Valid(src) {
		return // the conversions refuse it before parsing
	}
	norm := normalizeNewlines(src)
	ourTree = ours.Parser().Parse(text.NewReader(norm))
	theirTree = theirs.Parser().Parse(text.NewReader(norm))
	ja, err := json.Marshal(docFromTree(norm, ourTree))
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(docFromTree(norm, theirTree))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ja, jb) {
		t.Fatalf("ADF of %q differs\nours:     %s\ngoldmark: %s", src, ja, jb)
	}
	if wa, wb := wikiFromTree(norm, ourTree), wikiFromTree(norm, theirTree); wa != wb {
		t.Fatalf("wiki markup of %q differs\nours:     %q\ngoldmark: %q", src, wa, wb)
	}
}

// dumpTree writes out everything the conversions and renderers read of a
// syntax tree: kinds, positions, source segments and the extension nodes'
// fields.
func dumpTree(root gast.Node, src []byte) string {
	var sb strings.Builder
	var walk func(n gast.Node, depth int)
	walk = func(n gast.Node, depth int) {
		fmt.Fprintf(&sb, "%s%s pos=%d", strings.Repeat("  ", depth), n.Kind(), n.Pos())
		if n.Type() == gast.TypeBlock {
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				fmt.Fprintf(&sb, " line[%d:%d+%d]", seg.Start, seg.Stop, seg.Padding)
			}
		}
		switch n := n.(type) {
		case *gast.Text:
			fmt.Fprintf(&sb, " [%d:%d+%d] %q soft=%v hard=%v raw=%v", n.Segment.Start, n.Segment.Stop, n.Segment.Padding,
				n.Segment.Value(src), n.SoftLineBreak(), n.HardLineBreak(), n.IsRaw())
		case *gast.String:
			fmt.Fprintf(&sb, " %q raw=%v code=%v", n.Value, n.IsRaw(), n.IsCode())
		case *gast.AutoLink:
			fmt.Fprintf(&sb, " type=%d protocol=%q url=%q label=%q", n.AutoLinkType, n.Protocol, n.URL(src), n.Label(src))
		case *east.Table:
			fmt.Fprintf(&sb, " %v", n.Alignments)
		case *east.TableRow:
			fmt.Fprintf(&sb, " %v", n.Alignments)
		case *east.TableCell:
			fmt.Fprintf(&sb, " %v", n.Alignment)
		case *east.TaskCheckBox:
			fmt.Fprintf(&sb, " checked=%v", n.IsChecked)
		case *gast.Emphasis:
			fmt.Fprintf(&sb, " level=%d", n.Level)
		}
		if attrs := n.Attributes(); attrs != nil {
			fmt.Fprintf(&sb, " attrs=%q", attrs)
		}
		sb.WriteByte('\n')
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return sb.String()
}

// alignedAsSpec rewrites goldmark's HTML5 alignment, a style attribute,
// into the align attribute the spec's examples show.
func alignedAsSpec(s string) string {
	for _, a := range []string{"left", "center", "right"} {
		s = strings.ReplaceAll(s, ` style="text-align:`+a+`"`, ` align="`+a+`"`)
	}
	return s
}

// TestGFMSpecExamples: every example of the GFM spec's extension sections
// parses and renders as goldmark does, and as the spec says: goldmark meets
// them all, so there is no spec example where the two part ways.
func TestGFMSpecExamples(t *testing.T) {
	examples := readExamples(t, "gfm-spec.txt")
	if len(examples) != 24 {
		t.Fatalf("read %d spec examples, want the 24 of the extension sections", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			agree(t, []byte(ex.markdown))
			got, err := HTML([]byte(ex.markdown))
			if err != nil {
				t.Fatal(err)
			}
			if alignedAsSpec(got) != ex.html {
				t.Errorf("HTML of %q\ngot:  %q\nspec: %q", ex.markdown, got, ex.html)
			}
		})
	}
}

// TestGFMGoldmarkCases: the inputs goldmark's own extension tests pin
// parse and render the same through ours.
func TestGFMGoldmarkCases(t *testing.T) {
	for _, ex := range readExamples(t, "gfm-goldmark.txt") {
		t.Run(ex.name, func(t *testing.T) { agree(t, []byte(ex.markdown)) })
	}
}

// gfmEdgeCases are inputs at the edges of each rule: the host's 256
// character limit, ports, trailing punctuation and entities, parentheses,
// e-mail addresses, odd delimiter rows, escaped pipes, checkbox spacing.
var gfmEdgeCases = []string{
	// autolinks
	"http://a.b", "http://a.B", "http://a.b2", "http://a", "http://.b", "http://a.b.", "http:/a.b", "http://",
	"https://a.b:8080/x", "https://a.b:/x", "https://a.b:x", "ftp://a.b:21", "www.a.b:80/x", "www.a", "www.", "www.a.b",
	"www.a.b$c", "www.a.b/$c", "https://a.b/$c", "http://a.b/?q=1&r=2;", "http://a.b/&amp;", "http://a.b/x&;",
	"http://a.b/x&a1;", "http://a.b/x&;;", "http://a.b/&a;&b;", "www.a.b/(x)", "www.a.b/((x)", "www.a.b/(x))",
	"www.a.b/x))).", "www.a.b/x?!.,:*_~", "(http://a.b/x)", "*http://a.b*", "_www.a.b_", "~www.a.b~", "**www.a.b**",
	"x www.a.b", "x\twww.a.b", "x\nwww.a.b", "xwww.a.b", "[www.a.b](c)", "[see www.a.b]", "<www.a.b>", "`www.a.b`",
	"http://" + strings.Repeat("a", 255) + ".b", "http://" + strings.Repeat("a", 256) + ".b",
	"http://" + strings.Repeat("a", 300) + ".b", "www." + strings.Repeat("a.", 200) + "b",
	"http://a.b/" + strings.Repeat("(", 50) + strings.Repeat(")", 60),
	"http://a.b.c.d.e.f.g/h", "http://a..b", "http://a-.b", "http://a.b#frag", "http://a.b?q", "http://a.b/\"x\"",
	"http://a.b/x'", "http://a.b/é", "http://é.b", "www.a.b/`x`", "HTTP://a.b", "Www.a.b", "http://a.bc:1:2",
	"http://user:pw@a.b/x", "http://a.b:80:90", "https://a.b:99999999999999999999",
	"foo@bar.baz", "foo@bar", "foo@bar.", "foo@bar.baz.", "foo@bar.baz-", "foo@bar.baz_", "a@b.c@d.e",
	"www.a@b.COM", "www.a@b.c", "mailto:foo@bar.baz", "xmpp:foo@bar.baz", "-foo@bar.baz", ".foo@bar.baz",
	"foo.@bar.baz", "foo@-bar.baz", "foo@bar-.baz", strings.Repeat("a", 70) + "@b.c", "a@" + strings.Repeat("b", 70) + ".c",
	"foo@bar.baz;", "foo@bar.baz&amp;", "(foo@bar.baz)", "*foo@bar.baz*",
	// strikethrough
	"~a~", "~~a~~", "~~~a~~~", "~a~~", "~~a~", "a~~b~~c", "~~ a ~~", "~~a ~~", "\\~~a~~", "~~*a*~~", "*~~a~~*",
	"~~[a](b)~~", "~~a\nb~~", "~", "~~", "~~~~", "x ~~~a~~ y",
	// task list items
	"- [ ]", "- [ ] ", "- [x]", "- [X] a", "- [\t] a", "- [y] a", "- [ ]a", "- [  ] a", "- [x]  \t a",
	"1. [x] a", "- a [x]", "- [x] [x] a", "- > [x] a", "- [x]\n  a", "- [x]\n\n  a", "* [ ] a\n* [x] b",
	"[x] a", "- [ ] [link](x)", "- [x] ~~done~~", "-  [ ] a", "- \t[ ] a",
	// tables
	"|a|\n|-|", "a\n-", "a|b\n-|-", "|a|b|\n|:-|-:|\n|c|d|", "| a |\n| :-: |", "| a |\n| :: |", "| a |\n| : |",
	"| a |\n| -:- |", "| a |\n| - - |", "| a |\n|\v-\v|", "| a |\n|\f-\f|", "| a |\n    | - |", "| a |\n   | - |",
	"| a |\n| - |\n| b | c | d |", "| a | b |\n| - | - |\n|", "| a | b |\n| - | - |\n||", "| a |\n| - |\n\\|",
	"| `a\\|b` |\n| - |\n| `c\\|d` \\| e |", "| a\\\\|b |\n| - | - |", "| `\\|` | `\\|` |\n| - | - |\n| `x\\|y` | z |",
	"p\n| a |\n| - |", "| a |\n| - |\n> q", "- | a |\n  | - |\n  | b |", "> | a |\n> | - |", "| a |\n| - |\n| *b* **c** |",
	"| a |\n|---|\n| www.a.b |", "| a |\n|---|\n| ~~x~~ |", "| h\n| -", "h |\n- |", "| a |\n| --- |\n| b\\\\| c |",
	"| a |\n|:---:|\n|\tb\t|", "|a|\r\n|-|\r\n|b|", "# h\n| a |\n| - |", "| a |\n| - |\n# h", "| a |\n| - |\n---",
}

// TestGFMEdgeCases: our extensions agree with goldmark's at the edges of
// every rule.
func TestGFMEdgeCases(t *testing.T) {
	for _, src := range gfmEdgeCases {
		t.Run("", func(t *testing.T) { agree(t, []byte(src)) })
	}
}

// gfmTokens are the pieces each rule turns on; TestGFMTokenSoup strings
// them together at random.
var gfmTokens = []string{
	"www.", "http://", "https://", "ftp://", "a", "B", "7", ".", ".b", ".co", "-", "_", "@", ":", ":80", "/", "?", "#",
	"$", "&", "&amp;", ";", "(", ")", "!", ",", "*", "~", "~~", "'", "\"", "<", ">", "`", "\\", "|", "| ", " | ",
	"---", ":-", "-:", ":-:", "[", "]", "[ ] ", "[x]", "- ", "1. ", "> ", " ", "  ", "\t", "\n", "\n\n", "é",
}

// TestGFMTokenSoup: random strings of gfmTokens, the same ones every run,
// parse and render the same through ours and goldmark's extensions.
func TestGFMTokenSoup(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for range 3000 {
		sb.Reset()
		for range 1 + rng.IntN(16) {
			sb.WriteString(gfmTokens[rng.IntN(len(gfmTokens))])
		}
		agree(t, []byte(sb.String()))
	}
}

// TestGFMUsed: the preview renders each construct through our extensions
// (goldmark's cannot be linked in: cmd/tm's TestStartupLeavesOut).
func TestGFMUsed(t *testing.T) {
	got, err := HTML([]byte("| a |\n| :-: |\n| ~~b~~ |\n\n- [x] www.c.d\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<th style="text-align:center">a</th>`, "<del>b</del>",
		`<input checked="" disabled="" type="checkbox"> <a href="http://www.c.d">www.c.d</a>`} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

func gfmSeeds(f *testing.F) {
	for _, file := range []string{"gfm-spec.txt", "gfm-goldmark.txt"} {
		for _, ex := range readExamples(f, file) {
			f.Add([]byte(ex.markdown))
		}
	}
	for _, src := range gfmEdgeCases {
		f.Add([]byte(src))
	}
	for _, b := range goldenMarkdown(f) {
		f.Add(b)
	}
}

// goldenMarkdown is the Markdown of every golden file, seeds for each
// fuzz target.
func goldenMarkdown(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob("testdata/*.md")
	var out [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzGFMAgreesWithGoldmark holds our extensions to goldmark's on any
// input: same tree, HTML, ADF and wiki markup.
func FuzzGFMAgreesWithGoldmark(f *testing.F) {
	gfmSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) { agree(t, src) })
}

// goldmark's expressions for what the hand-written scanners match.
var (
	goldmarkWWW = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^www\.[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+(?:[/#?][-a-zA-Z0-9@:%_\+.~#!?&/=\(\);,'">\^{}\[\]` + "`" + `]*)?`)
	})
	goldmarkURL = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:http|https|ftp)://[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+(?::\d+)?(?:[/#?][-a-zA-Z0-9@:%_+.~#$!?&/=\(\);,'">\^{}\[\]` + "`" + `]*)?`)
	})
	goldmarkTask  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[([\sxX])\]\s*`) })
	goldmarkAlign = sync.OnceValue(func() map[east.Alignment]*regexp.Regexp {
		return map[east.Alignment]*regexp.Regexp{
			east.AlignLeft:   regexp.MustCompile(`^\s*\:\-+\s*$`),
			east.AlignRight:  regexp.MustCompile(`^\s*\-+\:\s*$`),
			east.AlignCenter: regexp.MustCompile(`^\s*\:\-+\:\s*$`),
			east.AlignNone:   regexp.MustCompile(`^\s*\-+\s*$`),
		}
	})
)

// scannersAgree fails t unless each scanner matches s exactly where
// goldmark's expression for it does.
func scannersAgree(t *testing.T, s []byte) {
	t.Helper()
	end := func(re *regexp.Regexp) int {
		if m := re.FindIndex(s); m != nil {
			return m[1]
		}
		return -1
	}
	if got, want := urlEnd(s), end(goldmarkURL()); got != want {
		t.Fatalf("urlEnd(%q) = %d, the expression matches to %d", s, got, want)
	}
	if got, want := wwwEnd(s), end(goldmarkWWW()); got != want {
		t.Fatalf("wwwEnd(%q) = %d, the expression matches to %d", s, got, want)
	}
	if got, checked := taskCheckBoxEnd(s); got != end(goldmarkTask()) || got >= 0 && checked != (s[1] == 'x' || s[1] == 'X') {
		t.Fatalf("taskCheckBoxEnd(%q) = %d, %v; the expression matches to %d", s, got, checked, end(goldmarkTask()))
	}
	got, ok := columnAlignment(s)
	matched := false
	for a, re := range goldmarkAlign() {
		if re.Match(s) {
			if !ok || got != a || matched {
				t.Fatalf("columnAlignment(%q) = %v, %v; the expressions say %v", s, got, ok, a)
			}
			matched = true
		}
	}
	if ok && !matched {
		t.Fatalf("columnAlignment(%q) = %v, no expression matches", s, got)
	}
}

// FuzzScannersMatchExpressions holds each hand-written scanner to the
// regular expression goldmark uses in its place.
func FuzzScannersMatchExpressions(f *testing.F) {
	for _, s := range []string{
		"www.a.b", "http://a.b:80/x$y", "https://" + strings.Repeat("a.", 140) + "b/(c)", "ftp://a.b", "[ ] x", "[x]",
		"[X]\t\t", "[\n]", " :-: ", ":-", "-:", "--", " - ", ":", "\t:---:\n", "www.a.b:1", "http://a.b:", "http://-.a",
	} {
		f.Add([]byte(s))
	}
	for _, src := range gfmEdgeCases {
		f.Add([]byte(src))
	}
	f.Fuzz(scannersAgree)
}

// BenchmarkGFM converts a typical ticket description to ADF and renders
// its preview, through our extensions and through goldmark's.
func BenchmarkGFM(b *testing.B) {
	src, err := os.ReadFile("testdata/ticket.md")
	if err != nil {
		b.Fatal(err)
	}
	for _, md := range []struct {
		name string
		md   func() goldmark.Markdown
	}{{"ours", markdown}, {"goldmark", goldmarkGFM}} {
		b.Run("ADF/"+md.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				doc := docFromTree(src, md.md().Parser().Parse(text.NewReader(src)))
				if len(doc.Content) == 0 {
					b.Fatal("empty document")
				}
			}
		})
		b.Run("HTML/"+md.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if err := md.md().Convert(src, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
