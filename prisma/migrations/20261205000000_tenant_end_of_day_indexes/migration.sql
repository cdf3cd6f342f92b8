-- lendgraph:scope=tenant
-- Loans that fell due on a date, whatever else they owe: end of day's events and counts read them through this,
-- as the step that makes overdue the loans fallen due the day before does (the index it replaces held only
-- loans not yet overdue, so the events read the whole book to find the others).
DROP INDEX loan_last_due_idx;
CREATE INDEX loan_last_due_idx ON loan (last_due_date) WHERE status IN ('active', 'overdue');
