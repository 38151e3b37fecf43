package emulator

import "encoding/json"

// adfToWiki renders stored ADF as Jira wiki markup for REST v2.
func adfToWiki(doc json.RawMessage) string {
	return adfText(doc)
}

// wikiToADF turns a REST v2 wiki-markup string into ADF for storage.
func wikiToADF(s string) json.RawMessage {
	return textADF(s)
}
