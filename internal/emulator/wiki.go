package emulator

import (
	"encoding/json"

	"github.com/ticket-mate/tm/internal/emulator/wiki"
)

// adfToWiki renders stored ADF as Jira wiki markup for REST v2. A document
// the converter cannot read falls back to its plain text.
func adfToWiki(doc json.RawMessage) string {
	s, err := wiki.FromADF(doc)
	if err != nil {
		return adfText(doc)
	}
	return s
}

// wikiToADF turns a REST v2 wiki-markup string into ADF for storage.
func wikiToADF(s string) json.RawMessage {
	b, err := wiki.ToADF(s)
	if err != nil {
		return textADF(s)
	}
	return b
}
