package adf

import (
	"bytes"

	gast "github.com/ticket-mate/tm/internal/third_party/goldmark/ast"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/parser"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/text"
	"github.com/ticket-mate/tm/internal/third_party/goldmark/util"
)

// autoLinkParser reads GFM's extended autolinks: www. and http://, https://,
// ftp:// addresses and bare e-mail addresses in running text, less trailing
// punctuation, unbalanced closing parentheses and a trailing entity-like
// &name;.
type autoLinkParser struct{}

// Trigger: ' ' stands for any white space and the start of a line.
func (autoLinkParser) Trigger() []byte { return []byte{' ', '*', '_', '~', '('} }

func (autoLinkParser) Parse(parent gast.Node, block text.Reader, pc parser.Context) gast.Node {
	if pc.IsInLinkLabel() {
		return nil
	}
	line, segment := block.PeekLine()
	consumes := 0
	start := segment.Start
	if c := line[0]; c == ' ' || c == '*' || c == '_' || c == '~' || c == '(' {
		consumes++
		start++
		line = line[1:]
	}

	typ := gast.AutoLinkURL
	var protocol []byte
	stop := -1
	if bytes.HasPrefix(line, []byte("http:")) || bytes.HasPrefix(line, []byte("https:")) || bytes.HasPrefix(line, []byte("ftp:")) {
		stop = urlEnd(line)
	}
	if stop < 0 && bytes.HasPrefix(line, []byte("www.")) {
		stop = wwwEnd(line)
		// Set even when no www. link follows: an e-mail address
		// starting www. then gets the protocol too, as in goldmark.
		protocol = []byte("http")
	}
	if stop < 0 {
		if len(line) > 0 && util.IsPunct(line[0]) {
			return nil
		}
		typ = gast.AutoLinkEmail
		stop = util.FindEmailIndex(line)
		if stop < 0 {
			return nil
		}
		at := bytes.IndexByte(line, '@')
		if bytes.IndexByte(line[at:stop-1], '.') < 0 {
			return nil
		}
		if line[stop-1] == '.' {
			stop--
		}
		if stop < len(line) && (line[stop] == '-' || line[stop] == '_') {
			return nil
		}
	}
	if consumes != 0 {
		gast.MergeOrAppendTextSegment(parent, segment.WithStop(segment.Start+1))
	}
	i := trimAutoLink(line, stop)
	consumes += i
	block.Advance(consumes)
	link := gast.NewAutoLink(typ, gast.NewTextSegment(text.NewSegment(start, start+i)))
	link.Protocol = protocol
	return link
}

func (autoLinkParser) CloseBlock(gast.Node, parser.Context) {}

// trimAutoLink drops from the end of line[:stop] what GFM leaves out of an
// autolink: trailing ?!.,:*_~, closing parentheses beyond the opening ones
// and an entity-like &name;. It returns the link's new end.
func trimAutoLink(line []byte, stop int) int {
	opening := bytes.Count(line[:stop], []byte{'('})
	closing := bytes.Count(line[:stop], []byte{')'})
	i := stop
	for i > 1 {
		switch line[i-1] {
		case '?', '!', '.', ',', ':', '*', '_', '~':
			i--
		case ')':
			if closing <= opening {
				return i
			}
			closing--
			i--
		case ';':
			j := i - 2
			for j > 0 && util.IsAlphaNumeric(line[j]) {
				j--
			}
			if j == i-2 || line[j] != '&' {
				return i
			}
			i = j
		default:
			return i
		}
	}
	return i
}

// urlEnd is where an http://, https:// or ftp:// link that line opens with
// ends, or -1. It matches what the expression
//
//	^(?:http|https|ftp)://[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+(?::\d+)?(?:[/#?][-a-zA-Z0-9@:%_+.~#$!?&/=\(\);,'">\^{}\[\]`]*)?
//
// matches (leftmost-first, as Go's regexp package does): a host of up to
// 256 characters ending in a dot and a lower-case label, a port, a path.
func urlEnd(line []byte) int {
	var p int
	switch {
	case bytes.HasPrefix(line, []byte("http://")):
		p = len("http://")
	case bytes.HasPrefix(line, []byte("https://")):
		p = len("https://")
	case bytes.HasPrefix(line, []byte("ftp://")):
		p = len("ftp://")
	default:
		return -1
	}
	q := hostEnd(line, p)
	if q < 0 {
		return -1
	}
	if q+1 < len(line) && line[q] == ':' && isDigit(line[q+1]) {
		q += 2
		for q < len(line) && isDigit(line[q]) {
			q++
		}
	}
	return pathEnd(line, q, true)
}

// wwwEnd is urlEnd for a link without a scheme, matching
//
//	^www\.[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+(?:[/#?][-a-zA-Z0-9@:%_\+.~#!?&/=\(\);,'">\^{}\[\]`]*)?
//
// which takes no port and no $ in the path.
func wwwEnd(line []byte) int {
	if !bytes.HasPrefix(line, []byte("www.")) {
		return -1
	}
	q := hostEnd(line, len("www."))
	if q < 0 {
		return -1
	}
	return pathEnd(line, q, false)
}

// hostEnd matches [-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-z]+ at line[p:]: the
// repetition is greedy, so the host runs to the last dot, within 256
// characters, that a lower-case letter follows. It returns the end of the
// letters after that dot, or -1.
func hostEnd(line []byte, p int) int {
	run := 0
	for p+run < len(line) && run < 256 && isHostByte(line[p+run]) {
		run++
	}
	for k := run; k >= 1; k-- {
		dot := p + k
		if dot+1 < len(line) && line[dot] == '.' && isLower(line[dot+1]) {
			q := dot + 2
			for q < len(line) && isLower(line[q]) {
				q++
			}
			return q
		}
	}
	return -1
}

// pathEnd matches an optional path, query or fragment at line[q:]: one of
// /#? and then any run of path characters.
func pathEnd(line []byte, q int, dollar bool) int {
	if q >= len(line) || (line[q] != '/' && line[q] != '#' && line[q] != '?') {
		return q
	}
	q++
	for q < len(line) && (isPathByte(line[q]) || dollar && line[q] == '$') {
		q++
	}
	return q
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

func isHostByte(c byte) bool {
	if util.IsAlphaNumeric(c) {
		return true
	}
	switch c {
	case '-', '@', ':', '%', '.', '_', '+', '~', '#', '=':
		return true
	}
	return false
}

func isPathByte(c byte) bool {
	if util.IsAlphaNumeric(c) {
		return true
	}
	switch c {
	case '-', '@', ':', '%', '_', '+', '.', '~', '#', '!', '?', '&', '/', '=',
		'(', ')', ';', ',', '\'', '"', '>', '^', '{', '}', '[', ']', '`':
		return true
	}
	return false
}
