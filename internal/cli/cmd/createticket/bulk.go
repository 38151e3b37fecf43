package createticket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticket-mate/tm"
	"github.com/ticket-mate/tm/internal/cli/factory"
	"github.com/ticket-mate/tm/internal/ticket"
)

// maxBulkFile bounds the input of --from.
const maxBulkFile = 64 << 20

// runBulk creates the tickets of opts.From: every row checked first, then
// sent in bulk; a results file records each line's key or error, and a
// second run of the same file skips the lines already created.
func runBulk(ctx context.Context, opts *Options, j *factory.Jira) error {
	path := opts.From
	if !filepath.IsAbs(path) && opts.WorkDir != "" {
		path = filepath.Join(opts.WorkDir, path)
	}
	data, err := readFile(path)
	if err != nil {
		return err
	}
	rows, err := parseRows(data, strings.HasSuffix(strings.ToLower(path), ".jsonl") || strings.HasSuffix(strings.ToLower(path), ".ndjson"))
	if err != nil {
		return err
	}
	def := j.ProjectKey(opts.IO.ErrOut)
	resultsPath := opts.Results
	if resultsPath == "" {
		resultsPath = path + ".results.csv"
	} else if !filepath.IsAbs(resultsPath) && opts.WorkDir != "" {
		resultsPath = filepath.Join(opts.WorkDir, resultsPath)
	}
	done := readResults(resultsPath)
	var todo []ticket.Row
	results := map[string]result{}
	for _, r := range rows {
		if prev, ok := done[r.id]; ok && prev.Key != "" {
			results[r.id] = prev
			continue
		}
		if r.row.Draft.ProjectKey == "" {
			r.row.Draft.ProjectKey = def
		}
		todo = append(todo, r.row)
	}
	skipped := len(rows) - len(todo)
	if len(todo) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "All %d rows were created before (see %s); nothing to do.\n", len(rows), resultsPath)
		return nil
	}
	byLine := map[int]string{}
	for _, r := range rows {
		byLine[r.row.Line] = r.id
	}
	tty := opts.IO.IsStderrTTY()
	start := time.Now()
	var created, failed int
	err = factory.Tickets(opts.Cache, j).CreateMany(ctx, todo, ticket.BulkOptions{Progress: func(n, total int) {
		if tty {
			fmt.Fprintf(opts.IO.ErrOut, "\r%s %d/%d", bar(n, total, 30), n, total)
		}
	}}, func(r ticket.RowResult) {
		res := result{Line: r.Line, Key: r.Ticket.Key, URL: r.Ticket.URL}
		if r.Err != nil {
			failed++
			res.Error = strings.ReplaceAll(errText(j, r.Err), "\n", " ")
		} else {
			created++
		}
		results[byLine[r.Line]] = res
	})
	if tty {
		fmt.Fprintln(opts.IO.ErrOut)
	}
	if err != nil && created+failed == 0 {
		return advise(j, err)
	}
	if werr := writeResults(resultsPath, rows, results); werr != nil {
		fmt.Fprintf(opts.IO.ErrOut, "Could not write the results file %s: %v\n", resultsPath, werr)
	}
	if err := printBulk(opts, rows, results); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Created %d, failed %d, skipped %d (created before) in %s; results in %s\n",
		created, failed, skipped, time.Since(start).Round(10*time.Millisecond), resultsPath)
	if err != nil {
		return advise(j, err)
	}
	if failed > 0 {
		return &tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("%d of %d rows were refused", failed, len(todo)),
			Hint: "The results file says why for each line. Fix them and run the same command again: rows created already are skipped."}
	}
	return nil
}

func errText(j *factory.Jira, err error) string {
	err = advise(j, err)
	var te *tm.Error
	if errors.As(err, &te) {
		return te.Message
	}
	return err.Error()
}

func bar(n, total, width int) string {
	full := 0
	if total > 0 {
		full = n * width / total
	}
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + "]"
}

func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &tm.Error{Code: tm.EINVALID, Message: "cannot read " + path + ": " + errors.Unwrap(err).Error()}
	}
	if st.Size() > maxBulkFile {
		return nil, &tm.Error{Code: tm.EINVALID, Message: fmt.Sprintf("%s is larger than %d MiB", path, maxBulkFile>>20),
			Hint: "Split it into several files."}
	}
	return os.ReadFile(path)
}

// inputRow is a parsed row and its identity across runs: a hash of its
// content and how many identical rows came before it.
type inputRow struct {
	row ticket.Row
	id  string
}

// parseRows reads CSV with a header, or JSON Lines, into drafts. Columns
// other than the known ones set custom fields by name.
func parseRows(data []byte, jsonl bool) ([]inputRow, error) {
	var rows []inputRow
	seen := map[string]int{}
	add := func(line int, rec map[string]string, raw []byte) {
		h := sha256.Sum256(raw)
		id := hex.EncodeToString(h[:8])
		seen[id]++
		rows = append(rows, inputRow{row: ticket.Row{Line: line, Draft: draftOf(rec)}, id: id + "#" + strconv.Itoa(seen[id])})
	}
	if jsonl {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), maxBulkFile)
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
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &tm.Error{Code: tm.EINVALID, Message: "the CSV file cannot be read: " + err.Error() + "; nothing was sent"}
		}
		line, _ := r.FieldPos(0)
		m := map[string]string{}
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
		raw, _ := json.Marshal(rec)
		add(line, m, raw)
	}
	return rows, nil
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

// result is one line of the results file.
type result struct {
	Line  int
	ID    string
	Key   string
	URL   string
	Error string
}

var resultsHeader = []string{"line", "row", "key", "url", "error"}

// readResults reads a previous run's results by row identity; a missing or
// unreadable file is an empty one.
func readResults(path string) map[string]result {
	out := map[string]result{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(resultsHeader)
	if h, err := r.Read(); err != nil || !slices.Equal(h, resultsHeader) {
		return out
	}
	for {
		rec, err := r.Read()
		if err != nil {
			return out
		}
		line, _ := strconv.Atoi(rec[0])
		out[rec[1]] = result{Line: line, ID: rec[1], Key: rec[2], URL: rec[3], Error: rec[4]}
	}
}

// writeResults writes one line per input row, in input order, replacing
// the file atomically.
func writeResults(path string, rows []inputRow, results map[string]result) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(resultsHeader)
	for _, r := range rows {
		res, ok := results[r.id]
		if !ok {
			res = result{Error: "not sent"}
		}
		_ = w.Write([]string{strconv.Itoa(r.row.Line), r.id, res.Key, res.URL, res.Error})
	}
	w.Flush()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// printBulk writes line → key (or error) to stdout, in input order.
func printBulk(opts *Options, rows []inputRow, results map[string]result) error {
	if opts.JSON {
		type out struct {
			Line  int    `json:"line"`
			Key   string `json:"key,omitempty"`
			URL   string `json:"url,omitempty"`
			Error string `json:"error,omitempty"`
		}
		list := make([]out, 0, len(rows))
		for _, r := range rows {
			res := results[r.id]
			list = append(list, out{Line: r.row.Line, Key: res.Key, URL: res.URL, Error: res.Error})
		}
		return factory.WriteJSON(opts.IO.Out, list)
	}
	var b strings.Builder
	for _, r := range rows {
		res := results[r.id]
		if res.Key != "" {
			fmt.Fprintf(&b, "%d\t%s\t%s\n", r.row.Line, res.Key, res.URL)
		} else {
			fmt.Fprintf(&b, "%d\t\terror: %s\n", r.row.Line, res.Error)
		}
	}
	_, err := io.WriteString(opts.IO.Out, b.String())
	return err
}
