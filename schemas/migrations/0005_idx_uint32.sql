-- Entity and cue indexes were UInt16: an article with more than 65,535
-- entities (or cues on one dyad) wrapped around and its rows collided in the
-- ReplacingMergeTree key. They become UInt32; a cue's sentence number (Int16)
-- becomes Int32 and a dyad's cue count (UInt16) UInt32 for the same reason.
--
-- idx is part of the sorting key, whose type neither 18.16 nor 25.x lets
-- ALTER change ("ALTER of key column idx must be metadata-only"), so each
-- table is copied into a new one and swapped in by RENAME:
--   1. rows left in a previous attempt's old table are copied back, and it is
--      dropped (a no-op on a first attempt: the table is created empty);
--   2. CREATE the new table, copy every row into it, RENAME the old table
--      away and the new one in;
--   3. copy the old table once more (rows a running sink wrote during the
--      copy) and drop it.
-- Every step can run again after a crash: copies write rows that already
-- exist, which ReplacingMergeTree collapses and every reader dedupes (LIMIT 1
-- BY idx / FINAL), as it does for a replayed batch.
--
-- Copies go in windows of 8 years (96 monthly partitions) because 25.x
-- refuses an INSERT block spanning more than max_partitions_per_insert_block
-- (100) partitions, and INSERT ... SELECT squashes rows of many partitions
-- into one block. The windows cover DateTime's whole range (1970-2106).

-- entities ------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS entities_idx16 AS entities;
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at < toDateTime('1978-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2098-01-01 00:00:00');
DROP TABLE IF EXISTS entities_idx16;

CREATE TABLE IF NOT EXISTS entities_idx32 (
    published_at   DateTime,
    article_id     UUID,
    tagger_version String,
    idx            UInt32,
    text           String,
    type           Enum8('PERSON' = 1, 'GOV' = 2, 'ORG' = 3, 'MEDIA' = 4),
    canonical      String,
    country        String,
    start_offset   UInt32,
    end_offset     UInt32,
    version        UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(published_at)
ORDER BY (published_at, article_id, tagger_version, idx);
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at < toDateTime('1978-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00');
INSERT INTO entities_idx32 SELECT * FROM entities WHERE published_at >= toDateTime('2098-01-01 00:00:00');
RENAME TABLE entities TO entities_idx16, entities_idx32 TO entities;

INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at < toDateTime('1978-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00');
INSERT INTO entities SELECT * FROM entities_idx16 WHERE published_at >= toDateTime('2098-01-01 00:00:00');
DROP TABLE IF EXISTS entities_idx16;

-- cues ------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS cues_idx16 AS cues;
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at < toDateTime('1978-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2098-01-01 00:00:00');
DROP TABLE IF EXISTS cues_idx16;

CREATE TABLE IF NOT EXISTS cues_idx32 (
    pair           String,
    published_at   DateTime,
    article_id     UUID,
    tagger_version String,
    idx            UInt32,
    text           String,
    category       String,
    sentence       Int32,
    start_offset   UInt32,
    end_offset     UInt32,
    actor          String,
    target         String,
    polarity       Int8,
    weight         Float64,
    hedged         UInt8,
    negated        UInt8,
    future         UInt8,
    background     UInt8,
    source         String,
    source_type    String,
    version        UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(published_at)
ORDER BY (pair, published_at, article_id, tagger_version, idx);
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at < toDateTime('1978-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00');
INSERT INTO cues_idx32 SELECT * FROM cues WHERE published_at >= toDateTime('2098-01-01 00:00:00');
RENAME TABLE cues TO cues_idx16, cues_idx32 TO cues;

INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at < toDateTime('1978-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00');
INSERT INTO cues SELECT * FROM cues_idx16 WHERE published_at >= toDateTime('2098-01-01 00:00:00');
DROP TABLE IF EXISTS cues_idx16;

-- dyads.n_cues is not a key column: ALTER changes it in place.

ALTER TABLE dyads MODIFY COLUMN n_cues UInt32;
