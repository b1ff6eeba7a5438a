-- article_versions: which tagger versions each article was stored under, sorted by
-- publication time. The query API's current view keeps, per article, the tagger version
-- of its newest enrichment (argMax(tagger_version, version)) among the articles published
-- in the requested range. `articles` is sorted by article_id (lookups by id), so that
-- read had to scan every article of the range's months: ~830,000 rows for one day at
-- 10 M articles a year. This table holds the same four columns sorted by published_at,
-- so the read is the range itself (docs/query-api.md "Measured speed").
--
-- It is an index of the raw table, not a count: a materialized view copies every block
-- inserted into `articles` (the same INSERT, so a replayed batch rewrites the same rows,
-- as it does in `articles`), ReplacingMergeTree collapses duplicates and readers group by
-- article (argMax), so duplicates never change an answer. Rows stored before this
-- migration are copied below, after the view exists: a row inserted in between is copied
-- twice, which is harmless for the same reason, and so is running the copy again after a
-- crash. The copy goes in 8-year windows: 25.x refuses an INSERT block spanning more than
-- max_partitions_per_insert_block (100) monthly partitions.

CREATE TABLE IF NOT EXISTS article_versions (
    published_at   DateTime,
    article_id     UUID,
    tagger_version String,
    version        UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(published_at)
ORDER BY (published_at, article_id, tagger_version);

CREATE MATERIALIZED VIEW IF NOT EXISTS article_versions_mv TO article_versions AS
SELECT published_at, article_id, tagger_version, version FROM articles;

INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at < toDateTime('1978-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('1978-01-01 00:00:00') AND published_at < toDateTime('1986-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('1986-01-01 00:00:00') AND published_at < toDateTime('1994-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('1994-01-01 00:00:00') AND published_at < toDateTime('2002-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2002-01-01 00:00:00') AND published_at < toDateTime('2010-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2010-01-01 00:00:00') AND published_at < toDateTime('2018-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2018-01-01 00:00:00') AND published_at < toDateTime('2026-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2026-01-01 00:00:00') AND published_at < toDateTime('2034-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2034-01-01 00:00:00') AND published_at < toDateTime('2042-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2042-01-01 00:00:00') AND published_at < toDateTime('2050-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2050-01-01 00:00:00') AND published_at < toDateTime('2058-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2058-01-01 00:00:00') AND published_at < toDateTime('2066-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2066-01-01 00:00:00') AND published_at < toDateTime('2074-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2074-01-01 00:00:00') AND published_at < toDateTime('2082-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2082-01-01 00:00:00') AND published_at < toDateTime('2090-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2090-01-01 00:00:00') AND published_at < toDateTime('2098-01-01 00:00:00'));
INSERT INTO article_versions SELECT * FROM (SELECT published_at, article_id, tagger_version, version FROM articles WHERE published_at >= toDateTime('2098-01-01 00:00:00'));
