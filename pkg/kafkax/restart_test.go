package kafkax

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// stuckReader never delivers until closed (a stalled kafka-go group
// reader); a live one delivers its message.
type stuckReader struct {
	live   bool
	closed chan struct{}
	commit atomic.Int64
}

func (s *stuckReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	if s.live {
		return kafka.Message{Value: []byte("m")}, nil
	}
	select {
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	case <-s.closed:
		return kafka.Message{}, io.EOF
	}
}

func (s *stuckReader) CommitMessages(context.Context, ...kafka.Message) error {
	s.commit.Add(1)
	return nil
}

func (s *stuckReader) Close() error {
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	return nil
}

// A reader that fetches nothing while its group has lag is replaced, and a
// fetch waiting on it goes on with the new one; with no lag, or while
// messages arrive, nothing is replaced.
func TestRestartingReaderReplacesAStalledReader(t *testing.T) {
	made := 0
	var readers []*stuckReader
	r := NewRestartingReader(func() GroupReader {
		made++
		s := &stuckReader{live: made > 1, closed: make(chan struct{})}
		readers = append(readers, s)
		return s
	}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var lag atomic.Int64 // no lag first: an idle reader is no stall
	watchCtx, stopWatch := context.WithCancel(ctx)
	go r.Watch(watchCtx, 10*time.Millisecond, 50*time.Millisecond, 0, func(context.Context) (int64, error) { return lag.Load(), nil })
	time.Sleep(150 * time.Millisecond)
	if r.Restarts() != 0 {
		t.Fatal("an idle reader without lag was replaced")
	}
	lag.Store(5)
	got := make(chan error, 1)
	go func() {
		m, err := r.FetchMessage(ctx)
		if err == nil && string(m.Value) != "m" {
			err = errors.New("wrong message")
		}
		got <- err
	}()
	if err := <-got; err != nil {
		t.Fatalf("the fetch waiting on the stalled reader: %v", err)
	}
	stopWatch()
	if r.Restarts() != 1 || made != 2 {
		t.Fatalf("%d restarts, %d readers made; want 1 and 2", r.Restarts(), made)
	}
	select {
	case <-readers[0].closed:
	default:
		t.Fatal("the stalled reader was not closed")
	}
	if err := r.CommitMessages(ctx, kafka.Message{}); err != nil || readers[1].commit.Load() != 1 {
		t.Fatalf("commit went to the old reader (%v)", err)
	}
	// A canceled fetch is the caller's end, not a reason to go on.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	r2 := NewRestartingReader(func() GroupReader { return &stuckReader{closed: make(chan struct{})} }, slog.New(slog.DiscardHandler))
	if _, err := r2.FetchMessage(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled fetch: %v", err)
	}
}

// failingReader fails every fetch (a kafka-go group reader that cannot
// reach the group's coordinator); a live one delivers its message.
type failingReader struct{ live bool }

func (f *failingReader) FetchMessage(context.Context) (kafka.Message, error) {
	if f.live {
		return kafka.Message{Value: []byte("m")}, nil
	}
	return kafka.Message{}, errors.New("failed to dial: connection refused")
}

func (f *failingReader) CommitMessages(context.Context, ...kafka.Message) error { return nil }

func (f *failingReader) Close() error { return nil }

// A reader whose fetches keep failing is replaced once the lag can be read
// (the brokers answer again), not while they are down; a fetch that
// succeeds ends the failing spell.
func TestRestartingReaderReplacesAFailingReader(t *testing.T) {
	made := 0
	r := NewRestartingReader(func() GroupReader {
		made++
		return &failingReader{live: made > 1}
	}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.FetchMessage(ctx); err == nil {
		t.Fatal("the failing reader fetched")
	}
	var brokersDown atomic.Bool
	brokersDown.Store(true)
	go r.Watch(ctx, 10*time.Millisecond, 0, 50*time.Millisecond, func(context.Context) (int64, error) {
		if brokersDown.Load() {
			return 0, errors.New("no broker answers")
		}
		return 0, nil
	})
	time.Sleep(200 * time.Millisecond)
	if r.Restarts() != 0 {
		t.Fatal("replaced while the brokers were down")
	}
	brokersDown.Store(false)
	for r.Restarts() == 0 {
		if ctx.Err() != nil {
			t.Fatal("a reader failing while the brokers answer was not replaced")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if m, err := r.FetchMessage(ctx); err != nil || string(m.Value) != "m" {
		t.Fatalf("fetch from the new reader: %q, %v", m.Value, err)
	}
	time.Sleep(200 * time.Millisecond)
	if r.Restarts() != 1 || made != 2 {
		t.Fatalf("%d restarts, %d readers made after the new reader fetched; want 1 and 2", r.Restarts(), made)
	}
}
