-- lendgraph:scope=tenant
-- An application the checks could not run on for want of the applicant's data goes back to its submitter as
-- `information_requested`; this is what it says is missing (field names as the application's input names them),
-- empty whenever nothing is.
ALTER TABLE application ADD COLUMN missing_information text[] NOT NULL DEFAULT '{}';
