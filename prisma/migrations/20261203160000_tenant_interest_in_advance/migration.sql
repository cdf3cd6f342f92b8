-- lendgraph:scope=tenant
-- Interest paid before its instalment falls due is held on a liability until it is earned, instead of being
-- income on receipt (docs/decisions.md, "Interest received in advance"). The chart gains the account, every
-- loan's account snapshot gains the role, and the loan's stored sub-ledger gains the balance.
--
-- Loans booked before this keep their posted journals: the next posting to such a loan replays it and posts,
-- dated where they apply, the corrections that move interest paid early from income to the new account.

-- The standard chart's code is 2150; a tenant that already opened an account with that code gets the first
-- free one of a few spares, so the migration never fails on a tenant's own chart.
INSERT INTO ledger_account (code, name, kind, role, created_by, created_at)
SELECT v.code, 'Interest received in advance', 'liability', 'interestInAdvance', 'migration', now()
  FROM (VALUES (1, '2150'), (2, '2151'), (3, '2159'), (4, '2150.ADV')) AS v(rank, code)
 WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = v.code)
   AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.role = 'interestInAdvance')
 ORDER BY v.rank
 LIMIT 1;

-- Loans keep the accounts they were booked with; the new role goes to the chart's account.
UPDATE loan
   SET accounts = accounts || jsonb_build_object('interestInAdvance', (SELECT code FROM ledger_account WHERE role = 'interestInAdvance'))
 WHERE NOT accounts ? 'interestInAdvance';

-- Interest paid on instalments not yet due as of `as_of`: the loan's share of the interest-in-advance account.
ALTER TABLE loan ADD COLUMN interest_in_advance numeric(20, 4) NOT NULL DEFAULT 0 CHECK (interest_in_advance >= 0);
