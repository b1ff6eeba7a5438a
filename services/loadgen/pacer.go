package main

import (
	"context"
	"time"
)

// pacer spaces batches so that articles leave at a fixed rate: the batch that
// holds articles [k, k+n) is released when article k is due, at
// start + k/rate. A slow sender does not cause a burst to "catch up" beyond
// what the schedule allows, but it is never penalised either: the schedule
// is absolute, not relative to the previous batch.
type pacer struct {
	rate  float64 // articles per second; 0 = no limit
	start time.Time
	sent  int
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newPacer(rate float64) *pacer {
	return &pacer{rate: rate, now: time.Now, sleep: sleepCtx}
}

// Wait blocks until the next n articles may be sent.
func (p *pacer) Wait(ctx context.Context, n int) error {
	if p.start.IsZero() {
		p.start = p.now()
	}
	if p.rate > 0 {
		due := p.start.Add(time.Duration(float64(p.sent) / p.rate * float64(time.Second)))
		if d := due.Sub(p.now()); d > 0 {
			if err := p.sleep(ctx, d); err != nil {
				return err
			}
		}
	}
	p.sent += n
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
