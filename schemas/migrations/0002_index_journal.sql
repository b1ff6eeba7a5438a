-- The index journal: rollups, the sink's offset ledger and the set of counted
-- articles in ONE table, so that one INSERT (one block, one table partition:
-- the table is unpartitioned) records all three atomically. That is the
-- sink's exactly-once effect on ClickHouse 18.16, which has neither
-- transactions nor insert deduplication for non-replicated tables:
--   kind = 'bucket'  additive index parts per granularity, pair, bucket.
--                    pair '*' counts every article; a dyad's pair counts the
--                    articles on that dyad. tagger_version '' is the current
--                    view (each article once, newest tagger version); a named
--                    version is that version's own view.
--   kind = 'offset'  key = topic; `position` holds deltas whose sum is the
--                    next source offset to read in src_partition, so the
--                    ledger collapses to one row per partition on merge.
--   kind = 'article' key = article_id; the article's contribution under a
--                    tagger version (pair '*' and one row per dyad). Present
--                    means counted.
-- SummingMergeTree adds the delta rows up on merge; readers always sum() with
-- GROUP BY, so the answer is exact whatever the merge state. `entries` keeps
-- every row non-zero (SummingMergeTree drops all-zero rows).

CREATE TABLE IF NOT EXISTS index_journal (
    kind           Enum8('bucket' = 1, 'offset' = 2, 'article' = 3),
    key            String,
    granularity    Enum8('none' = 0, 'minute' = 1, 'hour' = 2, 'day' = 3),
    pair           String,
    tagger_version String,
    bucket         DateTime,
    src_partition  Int32,
    position       Int64,
    entries        Int64,
    articles       Int64,
    dyad_articles  Int64,
    escalating     Int64,
    deescalating   Int64,
    mixed          Int64,
    sum_score      Float64,
    sum_weight     Float64
) ENGINE = SummingMergeTree((entries, position, articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight))
PARTITION BY tuple()
ORDER BY (kind, key, granularity, pair, tagger_version, bucket, src_partition);
