-- lendgraph:scope=tenant
-- An application waiting on its submitter (a draft, or one returned for missing information) lapses after 30 of the
-- lender's business days, counted from the business date it began waiting on. The instants it holds (created_at,
-- application_transition.at) are the clock's, which a sandbox's clock moved ahead, or an end of day not yet run,
-- leaves apart from the business date: they cannot say how many business days have passed.
ALTER TABLE application ADD COLUMN created_on date;
ALTER TABLE application ADD COLUMN information_requested_on date;

-- Rows made before: the business date the lender was on at the instant. A run moves the date as it starts, so it is
-- the date of the last run started by then; before the first run, the date that run started from; with no run at
-- all, the date never moved: the tenant's business date now, which the runner sets as lendgraph.business_date.
-- Runs start one after another in business-date order, so the last started by an instant is found through an index
-- on their start (made for this backfill and dropped after it), once per row: one pass over the applications, not
-- a walk through every run for each of them.
CREATE INDEX end_of_day_run_started_backfill_idx ON end_of_day_run (started_at);

UPDATE application a SET
  created_on = coalesce(
    (SELECT r.business_date FROM end_of_day_run r WHERE r.started_at <= a.created_at ORDER BY r.started_at DESC LIMIT 1),
    (SELECT r.previous_date FROM end_of_day_run r ORDER BY r.business_date LIMIT 1),
    nullif(current_setting('lendgraph.business_date', true), '')::date,
    (a.created_at AT TIME ZONE 'UTC')::date),
  information_requested_on = CASE WHEN waiting.returned_at IS NULL THEN NULL ELSE coalesce(
    (SELECT r.business_date FROM end_of_day_run r WHERE r.started_at <= waiting.returned_at ORDER BY r.started_at DESC LIMIT 1),
    (SELECT r.previous_date FROM end_of_day_run r ORDER BY r.business_date LIMIT 1),
    nullif(current_setting('lendgraph.business_date', true), '')::date,
    (waiting.returned_at AT TIME ZONE 'UTC')::date) END
FROM (
  SELECT b.id, max(t.at) AS returned_at
    FROM application b
    LEFT JOIN application_transition t ON t.application_id = b.id AND t.to_status = 'information_requested'
   GROUP BY b.id
) AS waiting
WHERE waiting.id = a.id;

DROP INDEX end_of_day_run_started_backfill_idx;

ALTER TABLE application ALTER COLUMN created_on SET NOT NULL;
