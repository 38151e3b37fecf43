package adf

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	east "github.com/ticket-mate/tm/internal/third_party/goldmark/extension/ast"
)

// ToWiki converts GitHub-flavoured Markdown into Jira wiki markup, the rich
// text of Jira Data Center's REST v2. Plain text is escaped wherever Jira
// would otherwise read it as markup. Images become links, as in FromMarkdown.
// The only error is input that is not UTF-8.
func ToWiki(src []byte) (string, error) {
	if err := checkUTF8("the Markdown text", src); err != nil {
		return "", err
	}
	src = normalizeNewlines(src)
	return wikiFromTree(src, parse(src)), nil
}

// wikiFromTree renders the syntax tree root parsed from src.
func wikiFromTree(src []byte, root ast.Node) string {
	w := &wiki{src: src, active: map[string]bool{}}
	return strings.Join(w.blocks(root, false), "\n\n")
}

type wiki struct {
	src    []byte
	active map[string]bool // effect markers open around the text being rendered
}

// blocks renders the block children of n, one string per block. Jira has
// no nested quotes: inside one, a quote gives up its markers.
func (w *wiki) blocks(n ast.Node, inQuote bool) []string {
	var out []string
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		if s := w.block(ch, inQuote); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (w *wiki) block(n ast.Node, inQuote bool) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return w.inline(n, true)
	case *ast.Heading:
		return "h" + strconv.Itoa(n.Level) + ". " + strings.ReplaceAll(w.inline(n, false), `\\`, " ")
	case *ast.ThematicBreak:
		return "----"
	case *ast.FencedCodeBlock:
		var lang string
		if n.Info != nil {
			lang = decode(n.Language(w.src))
		}
		return codeMacro(lang, linesText(n, w.src))
	case *ast.CodeBlock:
		return codeMacro("", linesText(n, w.src))
	case *ast.Blockquote:
		inner := strings.Join(w.blocks(n, true), "\n\n")
		if inQuote || inner == "" {
			return inner
		}
		return "{quote}\n" + inner + "\n{quote}"
	case *ast.List:
		return strings.Join(w.list(n, ""), "\n")
	case *ast.HTMLBlock:
		var lines []string
		for _, l := range strings.Split(linesText(n, w.src), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, escapeWiki(l, 0, true))
			}
		}
		return strings.Join(lines, "\n")
	case *east.Table:
		return w.table(n)
	}
	return strings.Join(w.blocks(n, inQuote), "\n\n")
}

// list renders a list as lines starting with the nesting prefix (* and #).
// Wiki list items are single lines: extra paragraphs join the first with a
// forced line break; other blocks follow on their own lines.
func (w *wiki) list(n *ast.List, prefix string) []string {
	marker := prefix + "*"
	if n.IsOrdered() {
		marker = prefix + "#"
	}
	var out []string
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		var line []string
		var after []string
		for ch := item.FirstChild(); ch != nil; ch = ch.NextSibling() {
			switch ch := ch.(type) {
			case *ast.Paragraph, *ast.TextBlock:
				text := w.inline(ch, false)
				if len(after) == 0 {
					line = append(line, text)
				} else {
					after = append(after, marker+" "+text)
				}
			case *ast.List:
				after = append(after, w.list(ch, marker)...)
			default:
				if s := w.block(ch, false); s != "" {
					after = append(after, s)
				}
			}
		}
		out = append(out, strings.TrimRight(marker+" "+strings.Join(line, `\\`), " "))
		out = append(out, after...)
	}
	return out
}

func (w *wiki) table(n *east.Table) string {
	var rows []string
	for row := n.FirstChild(); row != nil; row = row.NextSibling() {
		sep := "|"
		if _, ok := row.(*east.TableHeader); ok {
			sep = "||"
		}
		var sb strings.Builder
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			sb.WriteString(sep)
			text := w.inline(cell, false)
			if text == "" {
				text = " " // || || keeps the column; |||| would not
			}
			sb.WriteString(text)
		}
		sb.WriteString(sep)
		rows = append(rows, sb.String())
	}
	return strings.Join(rows, "\n")
}

// codeLanguages are the languages Jira's {code} macro highlights; any other
// name makes it print an error, so other code goes in {noformat}.
var codeLanguages = map[string]string{
	"actionscript": "actionscript", "ada": "ada", "applescript": "applescript",
	"bash": "bash", "sh": "bash", "shell": "bash", "zsh": "bash",
	"c": "c", "c#": "c#", "csharp": "c#", "cs": "c#", "c++": "cpp", "cpp": "cpp",
	"css": "css", "erlang": "erlang", "go": "go", "golang": "go", "groovy": "groovy",
	"haskell": "haskell", "html": "html", "java": "java", "javascript": "javascript",
	"js": "javascript", "json": "json", "lua": "lua", "objc": "objc",
	"objective-c": "objc", "perl": "perl", "php": "php", "python": "python",
	"py": "python", "r": "r", "ruby": "ruby", "rb": "ruby", "scala": "scala",
	"sql": "sql", "swift": "swift", "vb": "visualbasic", "visualbasic": "visualbasic",
	"xml": "xml", "yaml": "yaml", "yml": "yaml",
}

// codeMacro wraps code in {code:lang} or {noformat}. Nothing inside a macro
// can be escaped, so the macro whose closing tag the code does not contain
// is chosen.
func codeMacro(lang, code string) string {
	open, end := "{noformat}", "{noformat}"
	if l, ok := codeLanguages[strings.ToLower(lang)]; ok {
		open, end = "{code:"+l+"}", "{code}"
	}
	if strings.Contains(code, end) {
		if end == "{code}" {
			open, end = "{noformat}", "{noformat}"
		} else {
			open, end = "{code}", "{code}"
		}
	}
	if strings.Contains(code, end) {
		code = strings.ReplaceAll(code, end, "{\u200b"+end[1:])
	}
	return open + "\n" + code + "\n" + end
}

// inline renders the inline children of n. Plain text is collected and
// escaped in runs, so escaping sees whole words rather than goldmark's
// fragments.
func (w *wiki) inline(n ast.Node, lineStart bool) string {
	r := &wikiInline{w: w, lineStart: lineStart}
	r.children(n)
	r.flush()
	return r.out.String()
}

type wikiInline struct {
	w         *wiki
	out       strings.Builder
	pending   strings.Builder
	lineStart bool
}

func (r *wikiInline) flush() {
	if r.pending.Len() == 0 {
		return
	}
	prev, _ := utf8.DecodeLastRuneInString(r.out.String())
	if r.out.Len() == 0 {
		prev = 0
	}
	// A raw newline would end a list item or table row; the soft breaks
	// Markdown allows there are spaces.
	text := newlines.Replace(r.pending.String())
	r.out.WriteString(escapeWiki(text, prev, r.lineStart && r.out.Len() == 0))
	r.pending.Reset()
}

func (r *wikiInline) raw(s string) {
	r.flush()
	r.out.WriteString(s)
}

func (r *wikiInline) children(n ast.Node) {
	src := r.w.src
	for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
		switch t := ch.(type) {
		case *ast.Text:
			if t.IsRaw() {
				r.pending.WriteString(raw(t.Segment.Value(src)))
			} else {
				r.pending.WriteString(decode(t.Segment.Value(src)))
			}
			switch {
			case t.HardLineBreak():
				r.raw(`\\`)
			case t.SoftLineBreak():
				r.pending.WriteByte(' ')
			}
		case *ast.String:
			r.pending.WriteString(stringValue(t))
		case *ast.CodeSpan:
			if code := codeSpanText(t, src); strings.TrimSpace(code) != "" {
				r.raw("{{" + escapeWiki(code, 0, false) + "}}")
			} else {
				r.pending.WriteString(code)
			}
		case *ast.Emphasis:
			if t.Level >= 2 {
				r.effect(t, "*")
			} else {
				r.effect(t, "_")
			}
		case *east.Strikethrough:
			r.effect(t, "-")
		case *ast.Link:
			r.link(r.w.inline(t, false), destination(t.Destination))
		case *ast.AutoLink:
			r.link(escapeWiki(raw(t.Label(src)), 0, false), autoLinkURL(t, src))
		case *ast.Image:
			r.link(escapeWiki(plainText(t, src), 0, false), destination(t.Destination))
		case *ast.RawHTML:
			r.pending.WriteString(rawHTMLText(t, src))
		case *east.TaskCheckBox:
			r.pending.WriteString(checkboxText(t.IsChecked))
		default:
			r.children(ch)
		}
	}
}

// effect wraps rendered content in a text-effect marker. Jira reads *x* only
// at word boundaries; inside a word it needs the {*}x{*} form. Blanks at the
// edges move outside the markers, where Jira expects them.
func (r *wikiInline) effect(n ast.Node, marker string) {
	if r.w.active[marker] {
		// *a *b* c* nests the same effect, which Jira cannot; once is enough.
		r.children(n)
		return
	}
	r.w.active[marker] = true
	inner := r.w.inline(n, false)
	delete(r.w.active, marker)
	body := strings.TrimSpace(inner)
	if body == "" {
		r.pending.WriteString(inner)
		return
	}
	lead := inner[:strings.Index(inner, body)]
	trail := inner[len(lead)+len(body):]
	r.pending.WriteString(lead)
	r.flush()
	prev, _ := utf8.DecodeLastRuneInString(r.out.String())
	if r.out.Len() == 0 {
		prev = 0
	}
	m := marker
	if isWordRune(prev) || isWordRune(firstRune(n.NextSibling(), r.w.src)) {
		m = "{" + marker + "}"
	}
	r.out.WriteString(m + body + m)
	r.pending.WriteString(trail)
}

// firstRune is the first character a following Text node will contribute.
func firstRune(n ast.Node, src []byte) rune {
	if t, ok := n.(*ast.Text); ok {
		r, _ := utf8.DecodeRune(t.Segment.Value(src))
		return r
	}
	return 0
}

func (r *wikiInline) link(label, href string) {
	if href == "" {
		r.raw(label)
		return
	}
	u := wikiURL(href)
	if label == "" || label == escapeWiki(href, 0, false) {
		r.raw("[" + u + "]")
		return
	}
	r.raw("[" + label + "|" + u + "]")
}

// wikiURL percent-encodes the characters that would end a wiki link early.
func wikiURL(u string) string {
	return strings.NewReplacer("|", "%7C", "]", "%5D", "[", "%5B", " ", "%20", "\n", "%0A").Replace(u)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// emoticons are the character sequences Jira turns into icons.
var emoticons = []string{
	":)", ":(", ":P", ":p", ":D", ":d", ";)", "(y)", "(n)", "(i)", "(/)", "(x)", "(!)",
	"(+)", "(-)", "(?)", "(on)", "(off)", "(*)", "(*r)", "(*g)", "(*b)", "(*y)",
	"(flag)", "(flagoff)",
}

// escapeWiki escapes plain text so Jira shows it as written. prev is the
// character before s (0 at the start of a line or cell); lineStart says
// whether s begins a line, where # and h1. would start a list or heading.
func escapeWiki(s string, prev rune, lineStart bool) string {
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	if lineStart {
		if l := lineStartMarkup(s); l > 0 {
			sb.WriteString(s[:l-1])
			sb.WriteString(`\`)
			s = s[l-1:]
			prev = '.'
			lineStart = false
		}
	}
	for i, c := range s {
		next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(c):])
		if i+utf8.RuneLen(c) >= len(s) {
			next = 0
		}
		switch c {
		case '{', '}', '[', ']', '|':
			sb.WriteByte('\\')
		case '*', '_', '-', '+', '^', '~':
			if !isWordRune(prev) || !isWordRune(next) {
				sb.WriteByte('\\')
			}
		case '!':
			if next != 0 && !unicode.IsSpace(next) {
				sb.WriteByte('\\')
			}
		case '?':
			if next == '?' {
				sb.WriteByte('\\')
			}
		case '#':
			if i == 0 && lineStart {
				sb.WriteByte('\\')
			}
		case '(', ':', ';':
			for _, e := range emoticons {
				if strings.HasPrefix(s[i:], e) {
					sb.WriteByte('\\')
					break
				}
			}
		case '\\':
			// A backslash escapes the next character and two make a line
			// break, so one that could pair up is written as an entity.
			if next == 0 || strings.ContainsRune(`\{}[]|*_-+^~!?#(:;.`, next) || i == 0 {
				sb.WriteString("&#92;")
				prev = c
				continue
			}
		}
		sb.WriteRune(c)
		prev = c
	}
	return sb.String()
}

// lineStartMarkup returns, for text that Jira would read as a heading or
// quote line ("h1. ", "bq. "), the length of that marker; else 0.
func lineStartMarkup(s string) int {
	switch {
	case len(s) >= 3 && s[0] == 'h' && s[1] >= '1' && s[1] <= '6' && s[2] == '.':
		return 3
	case strings.HasPrefix(s, "bq."):
		return 3
	}
	return 0
}
