package kafkax

import (
	"errors"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go"
)

// Bounds on Summary's text: a log line about a failed write stays short
// whatever the batch size.
const (
	summaryKinds    = 3    // distinct error texts shown
	summaryKindText = 200  // bytes of each shown text
	summaryMaxText  = 1000 // bytes of a plain error's text
)

// Summary is err's text for a log line, bounded in length. kafka-go's
// WriteErrors prints one text per failed message (a failed batch of 500 to a
// dead broker is ~50 KB of "dial tcp …: connection refused"); Summary says
// how many failed and shows the few distinct texts with their counts. Any
// other error's text is cut at 1,000 bytes.
func Summary(err error) string {
	if err == nil {
		return ""
	}
	var we kafka.WriteErrors
	if !errors.As(err, &we) {
		return cut(err.Error(), summaryMaxText)
	}
	type kind struct {
		text string
		n    int
	}
	var kinds []kind
	at := map[string]int{}
	for _, e := range we {
		if e == nil {
			continue
		}
		t := e.Error()
		if i, ok := at[t]; ok {
			kinds[i].n++
			continue
		}
		at[t] = len(kinds)
		kinds = append(kinds, kind{text: t, n: 1})
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(we.Count()) + " of " + strconv.Itoa(len(we)) + " messages failed")
	for i, k := range kinds {
		if i == summaryKinds {
			b.WriteString("; and " + strconv.Itoa(len(kinds)-summaryKinds) + " more distinct")
			break
		}
		b.WriteString("; " + strconv.Itoa(k.n) + " × " + cut(k.text, summaryKindText))
	}
	return b.String()
}

// cut shortens s to at most n bytes, on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !isRuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
