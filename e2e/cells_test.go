package e2e

import "context"

// checkCellsAddUp checks the index split (docs/views.md) after a run: in
// every granularity, view, pair and bucket the cell rows sum to the bucket
// row, part by part, and the "*" language cells of the current view count
// every article once (n) — the split keeps the journal's exactly-once effect
// through the same kills and replays.
func (s *stack) checkCellsAddUp(n int64) {
	s.t.Helper()
	ctx := context.Background()
	var bad uint64
	if err := s.ch.QueryRow(ctx, `SELECT count() FROM (
		SELECT granularity, pair, arrayJoin(if(in_current = 1, [tagger_version, ''], [tagger_version])) AS in_view, bucket,
		       sumIf(articles, kind = 'bucket') - sumIf(articles, kind = 'cell') AS da,
		       sumIf(dyad_articles, kind = 'bucket') - sumIf(dyad_articles, kind = 'cell') AS dd,
		       sumIf(escalating, kind = 'bucket') - sumIf(escalating, kind = 'cell') AS de,
		       sumIf(deescalating, kind = 'bucket') - sumIf(deescalating, kind = 'cell') AS dde,
		       sumIf(mixed, kind = 'bucket') - sumIf(mixed, kind = 'cell') AS dm,
		       sumIf(sum_score, kind = 'bucket') - sumIf(sum_score, kind = 'cell') AS ds
		FROM index_journal WHERE kind IN ('bucket', 'cell')
		GROUP BY granularity, pair, in_view, bucket
		HAVING da != 0 OR dd != 0 OR de != 0 OR dde != 0 OR dm != 0 OR abs(ds) > 1e-6)`).Scan(&bad); err != nil {
		s.t.Fatal(err)
	}
	if bad != 0 {
		s.t.Errorf("%d buckets whose cells do not add up to the bucket", bad)
	}
	for _, g := range []string{"minute", "hour", "day"} {
		var langs int64
		if err := s.ch.QueryRow(ctx, `SELECT sum(articles) FROM index_journal
			WHERE kind = 'cell' AND pair = '*' AND (tagger_version = '' OR in_current = 1) AND granularity = ?`, g).Scan(&langs); err != nil {
			s.t.Fatal(err)
		}
		if langs != n {
			s.t.Errorf("%s: the language cells count %d articles, want %d", g, langs, n)
		}
	}
}
