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
	go r.Watch(watchCtx, 10*time.Millisecond, 50*time.Millisecond, func(context.Context) (int64, error) { return lag.Load(), nil })
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

// blockingCommitReader holds every commit until the commit's ctx ends (a
// kafka-go group reader waiting for a generation it never gets).
type blockingCommitReader struct{ stuckReader }

func (b *blockingCommitReader) CommitMessages(ctx context.Context, _ ...kafka.Message) error {
	<-ctx.Done()
	return ctx.Err()
}

// A commit waiting on a reader that is replaced ends with ErrReplaced; one
// on the new reader goes through.
func TestRestartingReaderEndsACommitOnAReplacedReader(t *testing.T) {
	made := 0
	var live *stuckReader
	r := NewRestartingReader(func() GroupReader {
		made++
		if made == 1 {
			return &blockingCommitReader{stuckReader{closed: make(chan struct{})}}
		}
		live = &stuckReader{live: true, closed: make(chan struct{})}
		return live
	}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan error, 1)
	go func() { got <- r.CommitMessages(ctx, kafka.Message{Offset: 7}) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("the commit ended before the restart: %v", err)
	default:
	}
	r.Restart("test")
	if err := <-got; !errors.Is(err, ErrReplaced) {
		t.Fatalf("commit on the replaced reader: %v, want ErrReplaced", err)
	}
	if err := r.CommitMessages(ctx, kafka.Message{Offset: 7}); err != nil || live.commit.Load() != 1 {
		t.Fatalf("commit on the new reader: %v (%d commits)", err, live.commit.Load())
	}
	// The caller's own end is not a replacement.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if err := r.CommitMessages(cctx); errors.Is(err, ErrReplaced) {
		t.Fatal("a canceled commit reported ErrReplaced")
	}
}
