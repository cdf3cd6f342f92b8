-- lendgraph:scope=tenant
-- A loan's replay checkpoint is kept as the JSON text the gateway wrote, not as jsonb: nothing queries inside it,
-- and every posting rewrote it. As jsonb, PostgreSQL parsed each new checkpoint into its binary form (inside the
-- posting's own JSON parameter too) and printed it back as text for every read; the text goes in and out as it is.
-- Measured on 600 loans: writing a checkpoint 100 → 60 µs of the server's time per loan, reading one 18 → 8 µs.
ALTER TABLE loan ALTER COLUMN replay_checkpoint TYPE text USING replay_checkpoint::text;
