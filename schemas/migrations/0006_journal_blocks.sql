-- Journal blocks with identities, so that two writers of the same offsets
-- (a sink that lost its partitions during a long pause and then resumed, a
-- replica that missed a block) are found and one of them cancelled
-- (docs/design.md §5, docs/scaling.md):
--   blk         the id of the block that wrote the row: '<fencing epoch,
--               10 digits>-<time><random>', so ids sort by epoch first; '' on
--               bucket rows, which stay summed across blocks. A block that
--               lost a conflict is cancelled by a compensating block whose
--               article rows carry blk '<id>~' and whose range rows carry the
--               loser's own id (they sum to nothing).
--   src_offset  on a range row: the first source offset of the range.
--   kind 'range' the offset ledger as ranges: key = the log (topic@topic-id),
--               src_partition, [src_offset, position), blk. The ledger of a
--               partition is the union of its live ranges (sum(entries) > 0);
--               two live ranges that overlap are a conflict.
-- Both columns join the end of the sorting key (ClickHouse allows that only
-- for columns added by the same ALTER), so rows of different blocks never sum
-- together. 18.16 has no ADD COLUMN IF NOT EXISTS: Migrate skips this
-- statement when src_offset exists, which keeps the migration idempotent.
ALTER TABLE index_journal
    ADD COLUMN src_offset Int64,
    ADD COLUMN blk String,
    MODIFY ORDER BY (kind, key, granularity, pair, tagger_version, bucket, src_partition, src_offset, blk);

ALTER TABLE index_journal MODIFY COLUMN kind Enum8('bucket' = 1, 'offset' = 2, 'article' = 3, 'range' = 4);
