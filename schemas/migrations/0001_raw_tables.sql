-- Raw tables: the truth. One row per article (per tagger version), its
-- entities, its dyad scores and its cues. ReplacingMergeTree keyed by the
-- article makes a replayed batch harmless: duplicates collapse on merge and
-- readers use FINAL or LIMIT 1 BY where exact counts matter. `version` is the
-- enrichment time in milliseconds: the newest enrichment of a row wins.
-- Works on ClickHouse 18.16 and 25.x (no LowCardinality, DateTime64, TTL).

CREATE TABLE IF NOT EXISTS articles (
    article_id     UUID,
    tagger_version String,
    published_at   DateTime,
    received_at    DateTime,
    enriched_at    DateTime,
    url            String,
    source         String,
    title          String,
    text           String,
    relevant       UInt8,
    countries      Array(String),
    topics         Array(String),
    pairs          Array(String),
    src_partition  Int32,
    src_offset     Int64,
    version        UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(published_at)
ORDER BY (article_id, tagger_version);

CREATE TABLE IF NOT EXISTS entities (
    published_at   DateTime,
    article_id     UUID,
    tagger_version String,
    idx            UInt16,
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

CREATE TABLE IF NOT EXISTS dyads (
    pair           String,
    published_at   DateTime,
    article_id     UUID,
    tagger_version String,
    tension        Float64,
    direction      Enum8('neutral' = 0, 'escalation' = 1, 'de-escalation' = 2, 'mixed' = 3),
    weight         Float64,
    n_cues         UInt16,
    version        UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(published_at)
ORDER BY (pair, published_at, article_id, tagger_version);

CREATE TABLE IF NOT EXISTS cues (
    pair           String,
    published_at   DateTime,
    article_id     UUID,
    tagger_version String,
    idx            UInt16,
    text           String,
    category       String,
    sentence       UInt16,
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
