package backfill

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a bar with rate and ETA on a terminal, or prints a log
// line every LogEvery otherwise. total and done are in the unit of the
// source: articles for synthetic runs, input bytes for files.
type progress struct {
	w        io.Writer
	tty      bool
	every    time.Duration
	total    int64
	done     int64
	unit     string
	start    time.Time
	last     time.Time
	lastLine int
	stats    Stats
}

func newProgress(cfg Config, total int64) *progress {
	unit := "bytes"
	if cfg.Synthetic > 0 {
		unit = "articles"
	}
	now := time.Now()
	return &progress{w: cfg.Progress, tty: cfg.TTY, every: cfg.LogEvery, total: total, unit: unit, start: now, last: now}
}

// printf prints a message above the bar.
func (p *progress) printf(format string, args ...any) {
	if p.tty && p.lastLine > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLine))
		p.lastLine = 0
	}
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) tick(s Stats) {
	p.stats = s
	now := time.Now()
	interval := p.every
	if p.tty {
		interval = 200 * time.Millisecond
	}
	if now.Sub(p.last) < interval {
		return
	}
	p.last = now
	p.draw(now)
}

func (p *progress) draw(now time.Time) {
	el := now.Sub(p.start)
	rate := float64(p.stats.Published) / max(el.Seconds(), 1e-3)
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	eta := "?"
	if frac > 0 && frac < 1 {
		eta = (time.Duration(float64(el) * (1 - frac) / frac)).Round(time.Second).String()
	} else if frac >= 1 {
		eta = "0s"
	}
	if !p.tty {
		fmt.Fprintf(p.w, "progress %5.1f%%  read %d  published %d  rejected %d  duplicates %d  %.0f articles/s  eta %s\n",
			100*frac, p.stats.Read, p.stats.Published, p.stats.Rejected, p.stats.Duplicates, rate, eta)
		return
	}
	const width = 30
	fill := int(frac * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	if fill < width {
		bar = bar[:fill] + ">" + bar[fill+1:]
	}
	line := fmt.Sprintf("[%s] %5.1f%%  %d published  %d rejected  %.0f/s  ETA %s", bar, 100*frac,
		p.stats.Published, p.stats.Rejected, rate, eta)
	pad := ""
	if n := p.lastLine - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.lastLine = len(line)
}

func (p *progress) finish() {
	p.draw(time.Now())
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
