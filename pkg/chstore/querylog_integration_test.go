package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// loggedEvent returns the ProfileEvent event of query id (run with
// log_queries on) from the server's query log. The server logs a query as
// it ends, which may be just after the client got its answer: it flushes
// the log and looks again until the query is there, once.
func loggedEvent(t *testing.T, conn driver.Conn, id, event string) uint64 {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			t.Fatal(err)
		}
		var logged, value uint64
		if err := conn.QueryRow(ctx, `SELECT count(), sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, ?)])
			FROM system.query_log WHERE type = 2 AND event_date >= yesterday() AND query_id = ?`, event, id).Scan(&logged, &value); err != nil {
			t.Fatal(err)
		}
		switch {
		case logged == 1:
			return value
		case logged > 1:
			t.Fatalf("query %s is %d times in the query log, want once", id, logged)
		}
	}
	t.Fatalf("query %s never reached the query log", id)
	return 0
}
