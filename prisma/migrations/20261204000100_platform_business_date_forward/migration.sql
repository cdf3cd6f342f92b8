-- lendgraph:scope=platform
-- A tenant's business date moves only forward, whatever writes it (end of day, a sandbox's clock, a hand in the
-- database): the books of a day already closed are never reopened by moving the date back.
CREATE FUNCTION tenant_business_date_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.business_date < OLD.business_date THEN
    RAISE EXCEPTION 'the business date of tenant % may not move back from % to %', OLD.slug, OLD.business_date, NEW.business_date
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tenant_business_date_forward BEFORE UPDATE OF business_date ON tenant
  FOR EACH ROW EXECUTE FUNCTION tenant_business_date_forward();
