-- lendgraph:scope=tenant
-- The loan's replay kept as of a date (src/domain/servicing/replay/checkpoint.ts): a posting that touches nothing
-- before that date carries the loan on from it instead of replaying its whole history. Kept in the loan's own row,
-- so the statement that locks the loan reads it as the last posting left it. Null until the loan's next posting.
ALTER TABLE loan ADD COLUMN replay_checkpoint jsonb;
