-- Issue 14: the language an article was read as (event.Tags.Lang: its own
-- lang when given, else detected from the script) and whether the tagger has
-- an analyser for it. unsupported = 1 says the article's empty tags mean "not
-- read", not "nothing in it". Rows written before this migration keep the
-- defaults: lang '' (unknown; tagger versions before 1.1 read everything as
-- English) and unsupported 0.
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: chstore.Migrate skips an
-- ADD COLUMN whose column exists, so each statement adds one column and the
-- file can run again. On a cluster the ALTER runs on one replica and reaches
-- the others through the replication log.
ALTER TABLE articles ADD COLUMN lang String DEFAULT '';
ALTER TABLE articles ADD COLUMN unsupported UInt8 DEFAULT 0;
