-- Article rows that count in two views at once (docs/design.md §5).
--
-- An article counted under the version that becomes its current one adds
-- the same contribution to the current view ('') and to its version's view:
-- until now two rows per pair, identical but for tagger_version — 9 of the
-- journal's 11 rows per article on a day of news were article rows. One
-- row now stands for both:
--
--   in_current  1: the row counts in the current view as well as in its
--               tagger_version's; 0 (every row written before): in its
--               tagger_version's only, as before.
--
-- Readers expand such a row into the two it stands for (the sink's
-- `articleView`: arrayJoin(if(in_current = 1, [tagger_version, ''],
-- [tagger_version]))); bucket, cell and rollup rows are unchanged, so the
-- query service reads what it read.
--
-- The column joins the end of the sorting key (ClickHouse allows that only
-- for a column the same ALTER adds), so a row in both views and a row in one
-- are never summed together. Migrate skips the statement when the column
-- exists (18.16 has no ADD COLUMN IF NOT EXISTS).
--
-- A sink older than this migration would read such a row as its version's
-- only and count the article again in the current view: sinks that check
-- the schema before each batch (chstore.ErrSchemaNewer) stop when they see
-- this migration; older ones must be stopped first (README, upgrade notes).
ALTER TABLE index_journal
    ADD COLUMN in_current UInt8,
    MODIFY ORDER BY (kind, key, granularity, pair, tagger_version, bucket, src_partition, src_offset, blk, in_current);
