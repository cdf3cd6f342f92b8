-- lendgraph:scope=tenant
-- Each active loan's delinquency bucket at the close of each month (written by the end of day that closes the
-- month's last day): roll rates between buckets month over month are read from two of these (docs/collections.md).
CREATE TABLE loan_month_end_bucket (
  month_end  date NOT NULL,
  loan_id    uuid NOT NULL REFERENCES loan (id),
  bucket     text NOT NULL,
  PRIMARY KEY (month_end, loan_id)
);
