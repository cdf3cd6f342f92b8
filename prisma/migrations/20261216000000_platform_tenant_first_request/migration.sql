-- lendgraph:scope=platform
-- What a tenant was first asked for that its row does not keep: the business date it started at (end of day moves
-- business_date on) and its first admin's e-mail (null when none was asked for; the admin exists only in the
-- identity provider). A repeat of createTenant is held to them. A row made before they were recorded has no
-- first_business_date, and its repeats are held to the other details only.
ALTER TABLE tenant ADD COLUMN first_business_date date, ADD COLUMN first_admin_email text;
