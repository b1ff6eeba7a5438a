-- Which blocks count each article, one narrow row per (article, block), so
-- that the exactly-once reads of a batch (docs/design.md §5) do not scan the
-- journal for articles no other block counts.
--
-- The journal's article rows are ~10 per article and ordered by key; a
-- batch's ids are hashes, so every id falls in its own granule of every part
-- and, past a few million articles, a batch of 1,000 ids read nearly all of
-- the journal's keys twice per batch (priors before its block, claims after
-- it): the cost of a batch grew with the history. article_keys holds one row
-- per (article, block): the lookups first read it (a tenth of the keys) and
-- read the journal only for the articles it names — for priors those some
-- block counts, for claims those some block other than the batch's own
-- counts.
--
--   key  an article id, as the journal's article rows hold it
--   blk  a block whose article rows hold the key (a compensation's '<id>~'
--        included: an extra block only sends the lookup to the journal)
--   h    cityHash64(key), computed by the server: the table is sorted by it,
--        so a lookup reads 8 bytes per row to find its ids (then the keys of
--        the rows it found), not the 37 of a key (3 M keys: 14-23 ms instead
--        of 37-83 ms for 100 to 10,000 ids, clickhouse-client on 18.16). The
--        key follows it in the sort, so two keys of one hash stay two rows.
--
-- It is written before the journal block it describes, by the same INSERT
-- path (store.WriteJournal), so every block's article rows have their keys
-- here before anyone can read them; never deleted. Rows written twice (a
-- retried batch) are the same row: ReplacingMergeTree keeps one, and the
-- lookups read distinct keys either way. The statement after the table fills
-- it from the journal as it stands (stop older sinks before this migration:
-- they write journal blocks without these rows).
CREATE TABLE IF NOT EXISTS article_keys (
    key String,
    blk String,
    h   UInt64 MATERIALIZED cityHash64(key)
) ENGINE = ReplacingMergeTree()
PARTITION BY tuple()
ORDER BY (h, key, blk);

INSERT INTO article_keys SELECT * FROM (SELECT key, blk FROM index_journal WHERE kind = 'article' GROUP BY key, blk);
