-- Issue 17: where an article's published_at came from, when a source
-- follower set it (event.Article.PublishedAtSource): 'feed' or 'page', or
-- 'none' when neither had a date and the receipt time stands in for it.
-- '' is the sender's own published_at (or none), as for every row written
-- before this migration.
--
-- chstore.Migrate skips an ADD COLUMN whose column exists, so the file can
-- run again; on a cluster the ALTER reaches the other replica through the
-- replication log.
ALTER TABLE articles ADD COLUMN published_at_source String DEFAULT '';
