package api

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
)

// BenchmarkIndexJSON encodes a year of hourly buckets, the largest answer
// the dashboard asks for: its CPU cost is part of every /v1/index request
// (6 ms of CPU for 2.3 MB; a hand-written encoder saved only 1 ms of it, as
// formatting the floats is most of the work). CPU time is reported beside
// the wall clock, which a busy machine stretches several times.
func BenchmarkIndexJSON(b *testing.B) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := IndexResponse{Pair: "CN-US", Interval: Hour, From: start, To: start.AddDate(1, 0, 0)}
	for i := range 8784 {
		p := tension.Parts{Articles: 1140 + int64(i%7), DyadArticles: 340, Escalating: 120 + int64(i%13), Deescalating: 110,
			SumScore: 1.2345678 * float64(i%17), SumWeight: 1700.25 + float64(i)}
		resp.Buckets = append(resp.Buckets, newIndexBucket(seriesBucket{Start: start.Add(time.Duration(i) * time.Hour), Parts: p}, 0.1))
	}
	var n int
	cpu := cpuTime()
	for b.Loop() {
		out, err := json.Marshal(resp)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's CPU time: on a busy machine it moves less than
// the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
