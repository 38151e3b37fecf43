package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticket-mate/tm/internal/adf"
)

// descriptionChunk is one screenful of a typical bug report; markdown20KB
// repeats it to the size of a long ticket description.
const descriptionChunk = "## Steps to reproduce\n\n" +
	"1. Open https://app.example.com/login and enter `jo+test@example.com`\n" +
	"2. Press **Sign in** (the *primary* button), then ~~wait~~ reload\n" +
	"   - on Firefox it fails\n   - on Chrome it [sometimes](https://example.com/b?id=1) works\n\n" +
	"> Error 500: invalid character in address\n> see the logs\n\n" +
	"- [x] reproduced on staging\n- [ ] checked production logs\n\n" +
	"| Browser | Result | Notes |\n|---|:-:|---|\n| Firefox | fails | `NS_ERROR` |\n| Chrome | flaky | retry helps |\n\n" +
	"```sql\nSELECT id, email FROM users WHERE email LIKE '%+%';\n```\n\n" +
	"Plain prose with specials {like} [these] and a|pipe, h1. and C:\\path\\ too.  \n" +
	"A hard break above and a soft\nbreak here.\n\n---\n\n"

func markdown20KB() []byte {
	n := 20*1024/len(descriptionChunk) + 1
	return []byte(strings.Repeat(descriptionChunk, n))
}

func BenchmarkFromMarkdown20KB(b *testing.B) {
	src := markdown20KB()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := adf.FromMarkdown(src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToWiki20KB(b *testing.B) {
	src := markdown20KB()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := adf.ToWiki(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkADFToText20KB(b *testing.B) {
	doc, err := adf.FromMarkdown(markdown20KB())
	if err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := adf.ToText(raw); err != nil {
			b.Fatal(err)
		}
	}
}
