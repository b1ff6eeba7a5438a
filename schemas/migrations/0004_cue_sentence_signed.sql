-- A cue found in the title has sentence -1 (its offsets are into the title),
-- which UInt16 cannot hold. Changing a column to the type it already has is a
-- no-op, so this migration is idempotent like the others.
ALTER TABLE cues MODIFY COLUMN sentence Int16;
