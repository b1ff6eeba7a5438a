package backfill

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Checkpoint is the resume state, written (atomically: temp file and
// rename) after every acknowledged window. Everything before Position, and
// every file in DoneFiles, is acknowledged by Kafka; Stats count exactly
// the records before Position. The window size may change between runs:
// a position is a point where everything before it was sent.
type Checkpoint struct {
	Version   int       `json:"version"`
	Inputs    []string  `json:"inputs,omitempty"`
	Synthetic *SynthRun `json:"synthetic,omitempty"`
	DoneFiles []string  `json:"done_files,omitempty"`
	Position  Pos       `json:"position"`
	Done      bool      `json:"done"`
	Stats     Stats     `json:"stats"` // counts of every run so far
	Base      Stats     `json:"-"`     // counts of earlier runs, when resuming
	Updated   time.Time `json:"updated"`
}

// SynthRun identifies a synthetic run: the same parameters generate the
// same articles, so a resume regenerates and skips what was sent.
type SynthRun struct {
	N    int       `json:"n"`
	Seed uint64    `json:"seed"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// NewCheckpoint starts a checkpoint for cfg.
func NewCheckpoint(cfg Config) Checkpoint {
	c := Checkpoint{Version: 1}
	if cfg.Synthetic > 0 {
		c.Synthetic = &SynthRun{N: cfg.Synthetic, Seed: cfg.SynthSeed, From: cfg.SynthFrom.UTC(), To: cfg.SynthTo.UTC()}
	}
	for _, in := range cfg.Inputs {
		c.Inputs = append(c.Inputs, in.Path)
	}
	return c
}

// ErrCheckpointMismatch: the checkpoint was written for other inputs.
var ErrCheckpointMismatch = errors.New("checkpoint is for a different run")

// Matches checks that the checkpoint belongs to the run cfg describes.
func (c Checkpoint) Matches(cfg Config) error {
	want := NewCheckpoint(cfg)
	switch {
	case (c.Synthetic == nil) != (want.Synthetic == nil):
		return fmt.Errorf("%w: synthetic vs files", ErrCheckpointMismatch)
	case c.Synthetic != nil && (c.Synthetic.N != want.Synthetic.N || c.Synthetic.Seed != want.Synthetic.Seed ||
		!c.Synthetic.From.Equal(want.Synthetic.From) || !c.Synthetic.To.Equal(want.Synthetic.To)):
		return fmt.Errorf("%w: synthetic %+v, now %+v", ErrCheckpointMismatch, *c.Synthetic, *want.Synthetic)
	case !slices.Equal(c.Inputs, want.Inputs):
		return fmt.Errorf("%w: inputs %v, now %v", ErrCheckpointMismatch, c.Inputs, want.Inputs)
	}
	return nil
}

func (c Checkpoint) describe() string {
	if c.Done {
		return "done"
	}
	return fmt.Sprintf("%s line %d, %d files done, %d published so far", c.Position.File, c.Position.Line,
		len(c.DoneFiles), c.Stats.Published)
}

// LoadCheckpoint reads a checkpoint; a missing file is a fresh start.
func LoadCheckpoint(path string) (Checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, fmt.Errorf("backfill: -resume: no checkpoint at %s", path)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("backfill: read checkpoint: %w", err)
	}
	var c Checkpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return Checkpoint{}, fmt.Errorf("backfill: checkpoint %s: %w", path, err)
	}
	if c.Version != 1 {
		return Checkpoint{}, fmt.Errorf("backfill: checkpoint %s: unknown version %d", path, c.Version)
	}
	c.Base = c.Stats
	return c, nil
}

// Save writes the checkpoint atomically.
func (c *Checkpoint) Save(path string) error {
	c.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("backfill: encode checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".backfill-checkpoint-*")
	if err != nil {
		return fmt.Errorf("backfill: write checkpoint: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("backfill: write checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("backfill: write checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("backfill: write checkpoint: %w", err)
	}
	return nil
}
