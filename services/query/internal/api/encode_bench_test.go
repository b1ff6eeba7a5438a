package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/pkg/testenv"
)

// BenchmarkIndexJSON encodes a year of hourly buckets, the largest answer
// the dashboard asks for, with json.Marshal: 6 ms of CPU for 2.3 MB with Go
// 1.26, 29 ms with 1.27, whose encoding/json re-parses what each bucket's
// MarshalJSON returns; the handler writes it by hand
// (BenchmarkIndexJSONByHand). CPU time is reported beside the wall clock,
// which a busy machine stretches several times.
func BenchmarkIndexJSON(b *testing.B) {
	resp := yearOfHours()
	var n int
	cpu := testenv.SelfCPU()
	for b.Loop() {
		out, err := json.Marshal(resp)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
	b.ReportMetric(float64((testenv.SelfCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkIndexJSONByHand is BenchmarkIndexJSON with the encoder the
// handler uses (IndexResponse.appendJSON).
func BenchmarkIndexJSONByHand(b *testing.B) {
	resp := yearOfHours()
	var n int
	cpu := testenv.SelfCPU()
	for b.Loop() {
		out, err := resp.appendJSON(nil)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes")
	b.ReportMetric(float64((testenv.SelfCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// yearOfHours is a year of hourly buckets, every 100th a gap.
func yearOfHours() IndexResponse {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	resp := IndexResponse{Pair: "CN-US", Interval: Hour, From: start, To: start.AddDate(1, 0, 0)}
	for i := range 8784 {
		p := tension.Parts{Articles: 1140 + int64(i%7), DyadArticles: 340, Escalating: 120 + int64(i%13), Deescalating: 110,
			SumScore: 1.2345678 * float64(i%17), SumWeight: 1700.25 + float64(i)}
		resp.Buckets = append(resp.Buckets, newIndexBucket(seriesBucket{Start: start.Add(time.Duration(i) * time.Hour), Parts: p, Gap: i%100 == 0}, 0.1))
	}
	return resp
}
