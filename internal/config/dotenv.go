package config

import (
	"bytes"
	"fmt"
	"strings"
)

// DotenvEntry is one KEY=VALUE assignment of a .env file.
type DotenvEntry struct {
	Key   string
	Value string
	Line  int // 1-based line of the key
}

// ParseDotenv parses the .env format:
//
//	# comment                     blank lines and comments are skipped
//	KEY=value                     unquoted: trimmed; " #" starts a comment
//	export KEY=value              the shell's export prefix is accepted
//	KEY='literal $value'          single quotes: taken as written
//	KEY="line one\nline two"      double quotes: \n \r \t \" \\ \$ escapes
//
// Quoted values may span lines. Values are never expanded (${X} stays as
// written). A later assignment of the same key wins, as in a shell. name is
// the file as shown in errors. Errors are *FileError with the line (and
// column) of the problem and never quote a value, which may be a secret.
//
// The parser is ours rather than godotenv's because godotenv reports neither
// the line of a value (env-debug shows ".env.local:3") nor of a syntax error.
func ParseDotenv(name string, data []byte) ([]DotenvEntry, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &dotenvParser{name: name, src: string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))), line: 1}
	var out []DotenvEntry
	for {
		e, ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, e)
	}
}

type dotenvParser struct {
	name string
	src  string
	pos  int
	line int
}

func (p *dotenvParser) errorf(line, pos int, format string, args ...any) error {
	col := 0
	if pos >= 0 {
		col = pos - strings.LastIndexByte(p.src[:pos], '\n')
	}
	return &FileError{File: p.name, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (p *dotenvParser) skipBlanks() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// restOfLine moves past the end of the current line.
func (p *dotenvParser) restOfLine() {
	i := strings.IndexByte(p.src[p.pos:], '\n')
	if i < 0 {
		p.pos = len(p.src)
		return
	}
	p.pos += i + 1
	p.line++
}

// next returns the next assignment; ok is false at the end of the input.
func (p *dotenvParser) next() (e DotenvEntry, ok bool, err error) {
	for p.pos < len(p.src) {
		p.skipBlanks()
		if p.pos >= len(p.src) {
			break
		}
		switch p.src[p.pos] {
		case '\n':
			p.pos++
			p.line++
			continue
		case '#':
			p.restOfLine()
			continue
		}
		return p.assignment()
	}
	return DotenvEntry{}, false, nil
}

func isKeyByte(c byte, first bool) bool {
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && (c == '.' || (c >= '0' && c <= '9')))
}

func (p *dotenvParser) key() string {
	start := p.pos
	for p.pos < len(p.src) && isKeyByte(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *dotenvParser) assignment() (DotenvEntry, bool, error) {
	line := p.line
	if strings.HasPrefix(p.src[p.pos:], "export") && p.pos+6 < len(p.src) && (p.src[p.pos+6] == ' ' || p.src[p.pos+6] == '\t') {
		p.pos += 6
		p.skipBlanks()
	}
	keyPos := p.pos
	key := p.key()
	if key == "" {
		return DotenvEntry{}, false, p.errorf(line, keyPos, "expected KEY=VALUE: a name starts with a letter or _")
	}
	p.skipBlanks()
	if p.pos >= len(p.src) || p.src[p.pos] != '=' {
		if p.pos < len(p.src) && p.src[p.pos] == ':' {
			return DotenvEntry{}, false, p.errorf(line, p.pos, "%s: use KEY=VALUE, not KEY: VALUE", key)
		}
		return DotenvEntry{}, false, p.errorf(line, p.pos, "%s: expected = after the name (write %s=VALUE)", key, key)
	}
	p.pos++
	afterEq := p.pos
	p.skipBlanks()
	if p.pos > afterEq && p.pos < len(p.src) && p.src[p.pos] == '#' {
		p.restOfLine() // KEY= # comment: an empty value
		return DotenvEntry{Key: key, Line: line}, true, nil
	}
	val, err := p.value(key, line)
	if err != nil {
		return DotenvEntry{}, false, err
	}
	return DotenvEntry{Key: key, Value: val, Line: line}, true, nil
}

func (p *dotenvParser) value(key string, line int) (string, error) {
	if p.pos >= len(p.src) {
		return "", nil
	}
	q := p.src[p.pos]
	if q != '"' && q != '\'' {
		end := strings.IndexByte(p.src[p.pos:], '\n')
		if end < 0 {
			end = len(p.src) - p.pos
		}
		v := p.src[p.pos : p.pos+end]
		if i := commentStart(v); i >= 0 {
			v = v[:i]
		}
		p.restOfLine()
		return strings.TrimRight(v, " \t"), nil
	}
	openPos := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.errorf(line, openPos, "%s: the quote opened here is never closed", key)
		}
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), p.afterQuote(key)
		case c == '\n':
			p.line++
		case c == '\\' && q == '"' && p.pos+1 < len(p.src):
			p.pos++
			switch e := p.src[p.pos]; e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$', '\'':
				b.WriteByte(e)
			default: // not an escape: keep both, so C:\Users survives
				b.WriteByte('\\')
				p.pos--
			}
			p.pos++
			continue
		}
		b.WriteByte(c)
		p.pos++
	}
}

// afterQuote allows only blanks and a comment after a closing quote.
func (p *dotenvParser) afterQuote(key string) error {
	p.skipBlanks()
	if p.pos < len(p.src) && p.src[p.pos] != '\n' && p.src[p.pos] != '#' {
		return p.errorf(p.line, p.pos, "%s: unexpected text after the closing quote", key)
	}
	p.restOfLine()
	return nil
}

// commentStart finds a " #" comment in an unquoted value: a # preceded by a
// blank. A # inside a word (a URL fragment, a token) is part of the value.
func commentStart(v string) int {
	for i := 1; i < len(v); i++ {
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			return i
		}
	}
	return -1
}
