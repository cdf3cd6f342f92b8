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
UPDATE application a SET created_on = coalesce(
  (SELECT r.business_date FROM end_of_day_run r WHERE r.started_at <= a.created_at ORDER BY r.business_date DESC LIMIT 1),
  (SELECT r.previous_date FROM end_of_day_run r ORDER BY r.business_date LIMIT 1),
  nullif(current_setting('lendgraph.business_date', true), '')::date,
  (a.created_at AT TIME ZONE 'UTC')::date);

UPDATE application a SET information_requested_on = coalesce(
  (SELECT r.business_date FROM end_of_day_run r WHERE r.started_at <= returned.at ORDER BY r.business_date DESC LIMIT 1),
  (SELECT r.previous_date FROM end_of_day_run r ORDER BY r.business_date LIMIT 1),
  nullif(current_setting('lendgraph.business_date', true), '')::date,
  (returned.at AT TIME ZONE 'UTC')::date)
FROM (SELECT t.application_id, max(t.at) AS at FROM application_transition t WHERE t.to_status = 'information_requested' GROUP BY t.application_id) AS returned
WHERE returned.application_id = a.id;

ALTER TABLE application ALTER COLUMN created_on SET NOT NULL;
