package api_test

import (
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// TestIntegrationLeadLag: over 120 days, the government's escalating
// articles follow state media's by three days (plus noise); /v1/leadlag
// finds a leading b by 3d, and says "too thin" on a range of 20 days.
func TestIntegrationLeadLag(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query_leadlag")
	r := rand.New(rand.NewPCG(11, 12))
	start := ts(t, "2025-01-01T00:00:00Z")
	const days, lead = 120, 3
	media := make([]int64, days)
	for i := range media {
		media[i] = r.Int64N(8)
	}
	var rows []journalRow
	for d := 0; d < days; d++ {
		gov := r.Int64N(3)
		if d >= lead {
			gov = media[d-lead] + r.Int64N(2)
		}
		b := start.AddDate(0, 0, d).Format(time.RFC3339)
		rows = append(rows,
			journalRow{granularity: "day", pair: "*", bucket: b, articles: 40},
			journalRow{kind: "cell", key: "CN|state_media|zh", granularity: "day", pair: "CN-US", bucket: b, dyad: media[d] + 1, esc: media[d]},
			journalRow{kind: "cell", key: "CN|government|zh", granularity: "day", pair: "CN-US", bucket: b, dyad: gov + 1, esc: gov},
		)
	}
	insertJournal(t, conn, rows)
	srv := httptest.NewServer(api.New(store.New(conn, 10*time.Second), api.Config{}))
	t.Cleanup(srv.Close)

	var resp api.LeadLagResponse
	getJSON(t, srv, "/v1/leadlag?pair=CN-US&a=source_type:state_media&b=source_type:government&from=2025-01-01T00:00:00Z&to=2025-05-01T00:00:00Z&max_lag=14d", &resp)
	if resp.Verdict != "a_leads" || resp.Best == nil || resp.Best.Lag != "3d" || *resp.Best.R < 0.8 || resp.Best.N != days-lead {
		t.Fatalf("verdict %s, best %+v: %s", resp.Verdict, resp.Best, resp.Note)
	}
	if len(resp.Lags) != 29 || resp.ABuckets != days || resp.BBuckets != days {
		t.Fatalf("%d lags, %d/%d buckets", len(resp.Lags), resp.ABuckets, resp.BBuckets)
	}
	// Swapped, b leads by the same lag.
	getJSON(t, srv, "/v1/leadlag?pair=CN-US&a=source_type:government&b=source_type:state_media&from=2025-01-01T00:00:00Z&to=2025-05-01T00:00:00Z&max_lag=14d", &resp)
	if resp.Verdict != "b_leads" || resp.Best.Lag != "-3d" {
		t.Fatalf("swapped: %s %+v", resp.Verdict, resp.Best)
	}
	getJSON(t, srv, "/v1/leadlag?pair=CN-US&a=source_type:state_media&b=source_type:government&from=2025-01-01T00:00:00Z&to=2025-01-21T00:00:00Z&max_lag=7d", &resp)
	if resp.Verdict != "too_thin" || resp.Best != nil {
		t.Fatalf("20 days: %s %+v", resp.Verdict, resp.Best)
	}
}
