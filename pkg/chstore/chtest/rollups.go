package chtest

import (
	"fmt"
	"time"
)

// The rollup rows the sink writes for the raw rows (migration 0010),
// computed from the raw tables by SQL of their own: per day, pair ("*" and
// each pair the version scores; a cue's own pair) and view (the version's
// own, and "" for each article's current version, the highest of all its
// versions). An entity counts each article once, under the smallest country
// its mentions carry; a cue has a row per weight, the article counted on
// its strongest. The sink writes the same rows (its integration tests
// check them against rebuild's SQL, services/sink/internal/store).
const (
	rollupViews = `arrayJoin(if(tagger_version = cur, ['', tagger_version], [tagger_version]))`
	rollupDay   = `toDateTime(intDiv(toUInt32(any(published_at)), 86400) * 86400)`

	rollupEntitiesSQL = `
INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_offset, entries, articles, sum_weight)
SELECT 'entity', concat(p, '\x1F', view, '\x1F', toString(toYYYYMMDD(day, 'UTC')), '\x1F', canonical, '\x1F', toString(type), '\x1F', ctry),
       'day', p, view, day, 0, toInt64(sum(m)), toInt64(count()), 0
FROM (
    SELECT *, arrayJoin(arrayConcat(['*'], pairs)) AS p, ` + rollupViews + ` AS view
    FROM (
        SELECT * FROM (
            SELECT article_id, tagger_version, ` + rollupDay + ` AS day, canonical, type, min(country) AS ctry, count() AS m
            FROM (SELECT * FROM entities WHERE %[1]s ORDER BY version DESC LIMIT 1 BY article_id, tagger_version, idx)
            GROUP BY article_id, tagger_version, canonical, type
        ) ANY LEFT JOIN (
            SELECT article_id, tagger_version, groupUniqArray(pair) AS pairs FROM dyads WHERE %[1]s GROUP BY article_id, tagger_version
        ) USING (article_id, tagger_version)
    ) ANY LEFT JOIN (SELECT article_id, argMax(tagger_version, version) AS cur FROM articles WHERE %[2]s GROUP BY article_id) USING (article_id)
)
GROUP BY p, view, day, canonical, type, ctry`

	rollupCuesSQL = `
INSERT INTO index_journal (kind, key, granularity, pair, tagger_version, bucket, src_offset, entries, articles, sum_weight)
SELECT 'cue', concat(pair, '\x1F', view, '\x1F', toString(toYYYYMMDD(day, 'UTC')), '\x1F', text, '\x1F', category, '\x1F',
                     toString(polarity), '\x1F', actor, '\x1F', target),
       'day', pair, view, day, reinterpretAsInt64(reinterpretAsString(wt)), toInt64(sum(n)), toInt64(sum(wt = mx)), sum(w)
FROM (
    SELECT *, wt, ` + rollupViews + ` AS view, countEqual(ws, wt) AS n, arraySum(arrayFilter(x -> x = wt, ws)) AS w
    FROM (
        SELECT *, arrayReduce('max', ws) AS mx FROM (
            SELECT article_id, tagger_version, pair, ` + rollupDay + ` AS day, text, category, polarity, actor, target, groupArray(weight) AS ws
            FROM (SELECT * FROM cues WHERE %[1]s ORDER BY version DESC LIMIT 1 BY article_id, tagger_version, pair, idx)
            GROUP BY article_id, tagger_version, pair, text, category, polarity, actor, target
        ) ANY LEFT JOIN (SELECT article_id, argMax(tagger_version, version) AS cur FROM articles WHERE %[2]s GROUP BY article_id) USING (article_id)
    )
    ARRAY JOIN arrayDistinct(ws) AS wt
)
GROUP BY pair, view, day, text, category, polarity, actor, target, wt`
)

// RollupSQL is the statements that write the rollup rows of the raw rows published in [from, to)
// (the articles' current versions are read from there too: the versions
// of an article outside it must not matter).
func RollupSQL(from, to time.Time) []string {
	in := fmt.Sprintf("published_at >= toDateTime(%d) AND published_at < toDateTime(%d)", from.Unix(), to.Unix())
	return []string{fmt.Sprintf(rollupEntitiesSQL, in, in), fmt.Sprintf(rollupCuesSQL, in, in)}
}
