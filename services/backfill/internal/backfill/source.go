package backfill

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Record is one input row: the article in the client form of
// schemas/article.v1.json (what POST /v1/articles takes), or the reason it
// could not be read. Where is "file:line" for reports.
type Record struct {
	Where string
	Data  []byte
	Err   error
	Pos   Pos
}

// Pos is how far a source has read: the file and the number of lines (CSV:
// records, header included) consumed in it, and for an uncompressed file the
// byte offset after them, so a resume can seek instead of re-reading.
type Pos struct {
	File   string `json:"file"`
	Line   int64  `json:"line"`
	Offset int64  `json:"offset"`
}

// Format of an input file.
type Format int

const (
	FormatJSONL Format = iota
	FormatCSV
)

// Input is one file to read.
type Input struct {
	Path   string
	Format Format
	Gzip   bool
	Size   int64
}

// ErrFormat is returned for a file whose extension is not known.
var ErrFormat = errors.New("unknown format: want .jsonl, .ndjson, .json, .csv, optionally .gz")

// ClassifyFile tells a file's format from its name.
func ClassifyFile(path string) (Input, error) {
	in := Input{Path: path}
	name := strings.ToLower(filepath.Base(path))
	if strings.HasSuffix(name, ".gz") {
		in.Gzip = true
		name = strings.TrimSuffix(name, ".gz")
	}
	switch filepath.Ext(name) {
	case ".jsonl", ".ndjson", ".json":
		in.Format = FormatJSONL
	case ".csv":
		in.Format = FormatCSV
	default:
		return in, fmt.Errorf("%s: %w", path, ErrFormat)
	}
	return in, nil
}

// ExpandInputs turns files and directories into the sorted list of input
// files (directories are walked; files of unknown formats inside them are
// skipped, named explicitly they are an error).
func ExpandInputs(paths []string) ([]Input, error) {
	var out []Input
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("backfill: %w", err)
		}
		if !st.IsDir() {
			in, err := ClassifyFile(p)
			if err != nil {
				return nil, fmt.Errorf("backfill: %w", err)
			}
			in.Size = st.Size()
			out = append(out, in)
			continue
		}
		var found []Input
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			in, cerr := ClassifyFile(path)
			if cerr != nil {
				return nil
			}
			if info, err := d.Info(); err == nil {
				in.Size = info.Size()
			}
			found = append(found, in)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("backfill: walk %s: %w", p, err)
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		out = append(out, found...)
	}
	return out, nil
}

// Columns maps article fields (id, url, source, title, text, lang,
// published_at) to CSV header names. A field missing from the map is read
// from the column of its own name, when there is one.
type Columns map[string]string

// ParseColumns parses "text=body,published_at=date".
func ParseColumns(s string) (Columns, error) {
	c := Columns{}
	if strings.TrimSpace(s) == "" {
		return c, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("backfill: column mapping %q: want field=column", kv)
		}
		switch k {
		case "id", "url", "source", "title", "text", "lang", "published_at":
		default:
			return nil, fmt.Errorf("backfill: column mapping: unknown article field %q", k)
		}
		c[k] = v
	}
	return c, nil
}

var articleFields = []string{"id", "url", "source", "title", "text", "lang", "published_at"}

// countingReader counts the bytes read from the file itself (compressed
// bytes for gzip), for progress.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// ReadFile reads one input from position `from` (zero: the beginning) and
// calls emit for every record; emit returning an error stops the read.
// consumed is updated with the file bytes read so far.
func ReadFile(in Input, from Pos, cols Columns, consumed *int64, emit func(Record) error) error {
	f, err := os.Open(in.Path)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	defer f.Close()
	var r io.Reader = countingReader{f, consumed}
	skipLines := from.Line
	offset := int64(0)
	if !in.Gzip && from.Offset > 0 {
		if _, err := f.Seek(from.Offset, io.SeekStart); err != nil {
			return fmt.Errorf("backfill: seek %s: %w", in.Path, err)
		}
		*consumed += from.Offset
		offset = from.Offset
		if in.Format == FormatJSONL {
			skipLines = 0
		}
	}
	if in.Gzip {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return emit(Record{Where: in.Path, Err: fmt.Errorf("gzip: %w", err), Pos: Pos{File: in.Path}})
		}
		defer zr.Close()
		r = zr
	}
	if in.Format == FormatCSV {
		return readCSV(in, r, from.Line, cols, emit)
	}
	return readJSONL(in, r, from.Line, skipLines, offset, emit)
}

func readJSONL(in Input, r io.Reader, startLine, skip, offset int64, emit func(Record) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	line := startLine - skip
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
			offset += int64(len(b))
			if line > startLine {
				data := bytes.TrimSpace(b)
				if len(data) > 0 {
					pos := Pos{File: in.Path, Line: line}
					if !in.Gzip {
						pos.Offset = offset
					}
					if eerr := emit(Record{Where: fmt.Sprintf("%s:%d", in.Path, line), Data: data, Pos: pos}); eerr != nil {
						return eerr
					}
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return emit(Record{Where: fmt.Sprintf("%s:%d", in.Path, line+1), Err: fmt.Errorf("read: %w", err),
				Pos: Pos{File: in.Path, Line: line}})
		}
	}
}

func readCSV(in Input, r io.Reader, startLine int64, cols Columns, emit func(Record) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil
		}
		return emit(Record{Where: in.Path + ":1", Err: fmt.Errorf("csv header: %w", err), Pos: Pos{File: in.Path, Line: 1}})
	}
	index := map[string]int{}
	for i, h := range header {
		index[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	colOf := map[string]int{}
	for _, f := range articleFields {
		name := f
		if m, ok := cols[f]; ok {
			name = m
		}
		if i, ok := index[name]; ok {
			colOf[f] = i
		} else if _, mapped := cols[f]; mapped {
			return fmt.Errorf("backfill: %s: no column %q (mapped to %s); header has %v", in.Path, name, f, header)
		}
	}
	if _, ok := colOf["text"]; !ok {
		return fmt.Errorf("backfill: %s: no text column (map one with -columns text=NAME); header has %v", in.Path, header)
	}
	n := int64(1)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		n++
		if n <= startLine {
			continue
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("%s:%d", in.Path, line)
		pos := Pos{File: in.Path, Line: n}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				where = fmt.Sprintf("%s:%d", in.Path, pe.StartLine)
			}
			if eerr := emit(Record{Where: where, Err: fmt.Errorf("csv: %w", err), Pos: pos}); eerr != nil {
				return eerr
			}
			if errors.As(err, &pe) {
				continue
			}
			return nil
		}
		obj := map[string]string{}
		for f, i := range colOf {
			if i < len(rec) && rec[i] != "" {
				obj[f] = rec[i]
			}
		}
		data, _ := json.Marshal(obj)
		if eerr := emit(Record{Where: where, Data: data, Pos: pos}); eerr != nil {
			return eerr
		}
	}
}
