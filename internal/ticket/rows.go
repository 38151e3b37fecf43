package ticket

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/jira"
)

// Input is a parsed row of a bulk file and its identity across runs: a
// hash of its content and how many identical rows came before it, so a
// second run of the same file can skip the rows created before.
type Input struct {
	Row Row
	ID  string
}

// MaxBulkFile bounds the bulk input a front end should read.
const MaxBulkFile = 64 << 20

// ParseRows reads CSV with a header, or JSON Lines, into drafts. Columns
// other than the known ones set custom fields by name.
func ParseRows(data []byte, jsonl bool) ([]Input, error) {
	// A row a line, mostly: room for them all at once, as rows are large.
	rows := make([]Input, 0, bytes.Count(data, []byte{'\n'})+1)
	seen := map[string]int{}
	add := func(line int, rec map[string]string, raw []byte) {
		h := sha256.Sum256(raw)
		id := hex.EncodeToString(h[:8])
		seen[id]++
		rows = append(rows, Input{Row: Row{Line: line, Draft: draftOf(rec)}, ID: id + "#" + strconv.Itoa(seen[id])})
	}
	if jsonl {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), MaxBulkFile)
		var bad []string
		for line := 1; sc.Scan(); line++ {
			text := bytes.TrimSpace(sc.Bytes())
			if len(text) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(text, &m); err != nil {
				bad = append(bad, fmt.Sprintf("line %d: not a JSON object: %v", line, err))
				continue
			}
			rec := map[string]string{}
			for k, v := range m {
				switch v := v.(type) {
				case string:
					rec[strings.ToLower(strings.TrimSpace(k))] = v
				case []any:
					var parts []string
					for _, p := range v {
						parts = append(parts, fmt.Sprint(p))
					}
					rec[strings.ToLower(strings.TrimSpace(k))] = strings.Join(parts, ";")
				case nil:
				default:
					rec[strings.ToLower(strings.TrimSpace(k))] = fmt.Sprint(v)
				}
			}
			add(line, rec, text)
		}
		if err := sc.Err(); err != nil {
			return nil, &tm.Error{Code: tm.EINVALID, Message: "reading the JSON Lines file: " + err.Error()}
		}
		if len(bad) > 0 {
			return nil, &tm.Error{Code: tm.EINVALID, Message: "the file has lines that are not JSON objects; nothing was sent:\n  " + strings.Join(bad[:min(len(bad), 20)], "\n  ")}
		}
		return rows, nil
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "the CSV file has no header: " + err.Error(),
			Hint: "The first line names the columns: summary (required), project, description, type, priority, labels, assignee, parent, components, or a field's name."}
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	if !slices.ContainsFunc(header, func(h string) bool { return strings.EqualFold(h, "summary") }) {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "the CSV header has no summary column: " + strings.Join(header, ", "),
			Hint: "The first line names the columns: summary (required), project, description, type, priority, labels, assignee, parent, components, or a field's name."}
	}
	r.ReuseRecord = true // the fields are kept, never the slice
	var raw []byte
	m := map[string]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &tm.Error{Code: tm.EINVALID, Message: "the CSV file cannot be read: " + err.Error() + "; nothing was sent"}
		}
		line, _ := r.FieldPos(0)
		clear(m) // draftOf keeps the values, never the map
		empty := true
		for i, v := range rec {
			if i < len(header) && header[i] != "" {
				key := header[i]
				if known[strings.ToLower(key)] {
					key = strings.ToLower(key)
				}
				m[key] = v
				empty = empty && strings.TrimSpace(v) == ""
			}
		}
		if empty {
			continue
		}
		// The row's identity hashes its JSON, as json.Marshal writes it.
		if raw, err = jira.AppendJSON(raw[:0], rec); err != nil {
			return nil, err
		}
		add(line, m, raw)
	}
	return rows, nil
}

// NamesProjects reports whether a bulk file may send rows to projects of
// their own: JSON Lines may, a CSV file only with a project column. The
// rows of one that does not all go to the default project.
func NamesProjects(data []byte, jsonl bool) bool {
	if jsonl {
		return true
	}
	header, err := csv.NewReader(bytes.NewReader(data)).Read()
	if err != nil {
		return true // ParseRows explains the file's problem
	}
	return slices.ContainsFunc(header, func(h string) bool {
		return strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), "project")
	})
}

var known = map[string]bool{"summary": true, "project": true, "description": true, "type": true, "priority": true,
	"labels": true, "assignee": true, "parent": true, "components": true}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func draftOf(rec map[string]string) tm.TicketDraft {
	d := tm.TicketDraft{ProjectKey: rec["project"], Summary: rec["summary"], Description: rec["description"],
		IssueType: rec["type"], Priority: rec["priority"], Labels: split(rec["labels"]), Assignee: rec["assignee"],
		Parent: rec["parent"], Components: split(rec["components"])}
	var names []string
	for k := range rec {
		if !known[k] && strings.TrimSpace(rec[k]) != "" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		d.Fields = append(d.Fields, tm.FieldValue{Name: k, Value: rec[k]})
	}
	return d
}
