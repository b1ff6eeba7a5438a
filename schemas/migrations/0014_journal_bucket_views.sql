-- Bucket, cell and rollup rows that count in two views at once
-- (docs/design.md §5).
--
-- Migration 0013 let an article row stand for its version's view and the
-- current view (in_current = 1). A batch's bucket, cell and rollup rows are
-- the sums of its article rows and their tags, so they were still written
-- twice — once under the tagger version, once under '' — and on a backfill
-- spread over years, where few articles share a bucket or a day's entry,
-- they were four fifths of the journal's rows. From this migration on the
-- sink writes a delta that both views take once, with in_current = 1, as
-- it writes article rows; rows written before (in_current = 0) read as they
-- did. The column and the sorting key are 0013's: nothing changes in the
-- table.
--
-- Such a bucket or cell row keeps its version in tagger_version. Such a
-- rollup row (kinds 'entity' and 'cue') is keyed under the current view
-- ('<pair>␟␟<day>␟<entry>', the view the ranked lists read most) with its
-- version in tagger_version, and stands for the same entry under
-- '<pair>␟<version>␟<day>' in the version's view.
--
-- Readers take such a row for both views: the query service reads the
-- current view as `tagger_version = '' OR in_current = 1` (for rollups, the
-- current view's key range) and a named view's rollups from its own key
-- range and, in the current view's, the rows its version wrote in both;
-- the sink's bucket-state reads, base shares and rebuild expand such rows;
-- and this view, for data teams, does the same for bucket rows, so
-- `index_buckets` still lists each view's buckets under its tagger_version
-- ('' is the current view).
--
-- A sink or query service older than this migration would read the current
-- view without those rows: sinks that check the schema before each batch
-- (chstore.ErrSchemaNewer) stop when they see this migration; older sinks
-- and every query service must be upgraded first (README, upgrade notes).
DROP TABLE IF EXISTS index_buckets;

CREATE VIEW IF NOT EXISTS index_buckets AS
SELECT
    granularity,
    pair,
    in_view            AS tagger_version,
    bucket,
    sum(articles)      AS articles,
    sum(dyad_articles) AS dyad_articles,
    sum(escalating)    AS escalating,
    sum(deescalating)  AS deescalating,
    sum(mixed)         AS mixed,
    sum(sum_score)     AS sum_score,
    sum(sum_weight)    AS sum_weight
FROM (
    SELECT granularity, pair, bucket,
           arrayJoin(if(in_current = 1, [tagger_version, ''], [tagger_version])) AS in_view,
           articles, dyad_articles, escalating, deescalating, mixed, sum_score, sum_weight
    FROM index_journal
    WHERE kind = 'bucket'
)
GROUP BY granularity, pair, tagger_version, bucket;
