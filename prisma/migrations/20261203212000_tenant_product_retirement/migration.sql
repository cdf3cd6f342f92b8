-- lendgraph:scope=tenant
-- A lender retires a product it no longer offers: no new applications or bookings from then on, while loans
-- already booked keep their terms (they carry a snapshot) and go on being serviced.
ALTER TABLE loan_product ADD COLUMN retired_at timestamptz(6);
