-- Views for data teams: the current index per granularity, pair and bucket,
-- with the additive parts summed. Ratios are computed from sums, so they are
-- exact at any granularity (docs/design.md §4). pair '*' holds the count of all
-- articles in the bucket, the denominator of tension_share.

CREATE VIEW IF NOT EXISTS index_buckets AS
SELECT
    granularity,
    pair,
    tagger_version,
    bucket,
    sum(articles)      AS articles,
    sum(dyad_articles) AS dyad_articles,
    sum(escalating)    AS escalating,
    sum(deescalating)  AS deescalating,
    sum(mixed)         AS mixed,
    sum(sum_score)     AS sum_score,
    sum(sum_weight)    AS sum_weight
FROM index_journal
WHERE kind = 'bucket'
GROUP BY granularity, pair, tagger_version, bucket;
