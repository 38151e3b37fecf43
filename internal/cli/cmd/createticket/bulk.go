package createticket

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
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
const maxBulkFile = ticket.MaxBulkFile

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
	jsonl := strings.HasSuffix(strings.ToLower(path), ".jsonl") || strings.HasSuffix(strings.ToLower(path), ".ndjson")
	resultsPath := opts.Results
	if resultsPath == "" {
		resultsPath = path + ".results.csv"
	} else if !filepath.IsAbs(resultsPath) && opts.WorkDir != "" {
		resultsPath = filepath.Join(opts.WorkDir, resultsPath)
	}
	def := j.ProjectKey(opts.IO.ErrOut)
	tickets := factory.Tickets(opts.Cache, j)
	var lookups *ticket.Lookups
	if lookAhead(resultsPath, data, jsonl) {
		lookups = tickets.StartLookups(ctx, def)
	}
	rows, err := ticket.ParseRows(data, jsonl)
	if err != nil {
		return err
	}
	done := readResults(resultsPath)
	todo := make([]ticket.Row, 0, len(rows))
	results := make(map[string]result, len(rows))
	for _, r := range rows {
		if prev, ok := done[r.ID]; ok && prev.Key != "" {
			results[r.ID] = prev
			continue
		}
		if r.Row.Draft.ProjectKey == "" {
			r.Row.Draft.ProjectKey = def
		}
		todo = append(todo, r.Row)
	}
	skipped := len(rows) - len(todo)
	if len(todo) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "All %d rows were created before (see %s); nothing to do.\n", len(rows), resultsPath)
		return nil
	}
	byLine := make(map[int]string, len(todo))
	for _, r := range rows {
		if _, ok := results[r.ID]; !ok {
			byLine[r.Row.Line] = r.ID
		}
	}
	tty := opts.IO.IsStderrTTY()
	start := time.Now()
	var created, failed int
	err = tickets.CreateMany(ctx, todo, ticket.BulkOptions{Lookups: lookups, Progress: func(n, total int) {
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

// lookAhead says whether the default project's issue types may be asked
// for while the file is read: on a first run (a run again may have nothing
// left to create) of a file whose rows all go to that project.
func lookAhead(resultsPath string, data []byte, jsonl bool) bool {
	_, err := os.Stat(resultsPath)
	return errors.Is(err, fs.ErrNotExist) && !ticket.NamesProjects(data, jsonl)
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
func writeResults(path string, rows []ticket.Input, results map[string]result) error {
	// Room for a line of id, key and link a row, so the file is written
	// without the buffer growing again and again.
	b := bytes.NewBuffer(make([]byte, 0, 128*(len(rows)+1)))
	w := csv.NewWriter(b)
	_ = w.Write(resultsHeader)
	rec := make([]string, 5)
	for _, r := range rows {
		res, ok := results[r.ID]
		if !ok {
			res = result{Error: "not sent"}
		}
		rec[0], rec[1], rec[2], rec[3], rec[4] = strconv.Itoa(r.Row.Line), r.ID, res.Key, res.URL, res.Error
		_ = w.Write(rec)
	}
	w.Flush()
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		// A link, a pipe or a device (/dev/stdout) is written through:
		// renaming over it would replace it with a plain file.
		return os.WriteFile(path, b.Bytes(), 0o600)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// printBulk writes line → key (or error) to stdout, in input order.
func printBulk(opts *Options, rows []ticket.Input, results map[string]result) error {
	if opts.JSON {
		type out struct {
			Line  int    `json:"line"`
			Key   string `json:"key,omitempty"`
			URL   string `json:"url,omitempty"`
			Error string `json:"error,omitempty"`
		}
		list := make([]out, 0, len(rows))
		for _, r := range rows {
			res := results[r.ID]
			list = append(list, out{Line: r.Row.Line, Key: res.Key, URL: res.URL, Error: res.Error})
		}
		return factory.WriteJSON(opts.IO.Out, list)
	}
	b := make([]byte, 0, 64*len(rows))
	for _, r := range rows {
		res := results[r.ID]
		b = append(strconv.AppendInt(b, int64(r.Row.Line), 10), '\t')
		if res.Key != "" {
			b = append(append(append(append(b, res.Key...), '\t'), res.URL...), '\n')
		} else {
			b = append(append(append(b, "\terror: "...), res.Error...), '\n')
		}
	}
	_, err := opts.IO.Out.Write(b)
	return err
}
