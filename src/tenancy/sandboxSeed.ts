// Demo data for sandbox tenants, so a partner can integrate against something realistic on day one.
// Deterministic per slug (same slug, same data), written inside the provisioning transaction with the
// tenant's schema on the search_path.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { Decimal } from '../domain/money.js';
import { loanTerms, termsToJson } from '../domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../domain/servicing/allocation.js';
import { SANDBOX_CREDIT_POLICY, type CreditRuleSet } from '../domain/origination/creditPolicy.js';
import { SANDBOX_PRICING } from '../domain/origination/offer.js';
import { SANDBOX_AUTHORITY_ROLES, sandboxAuthorityMatrix, storedAuthority } from '../domain/origination/approvalAuthority.js';
import { SYSTEM_ACTORS } from '../domain/actors.js';

/** Who made what the sandbox starts with, as its rows record it: the platform's own name, a constant (a literal in the statements). */
const SEEDED_BY = `'${SYSTEM_ACTORS.sandboxSeed}'`;

const PEOPLE = [
  'Amara Okafor', 'Rohan Mehta', 'Lucía Fernández', 'Chen Wei', 'Fatima Al-Sayed', 'Jonas Becker', 'Priya Raman',
  'Kwame Mensah', 'Sofia Rossi', 'Daniel Kim', 'Aisha Bello', 'Mateo García', 'Hannah Schmidt', 'Arjun Nair',
  'Zanele Dlamini', 'Oliver Hughes', 'Mei Tanaka', 'Ibrahim Yusuf', 'Elena Popescu', 'Tomás Silva',
];
const BUSINESSES = [
  'Harbourside Bakery Ltd', 'Nile Valley Logistics', 'Greenfield Agro Co-op', 'Brightpath Dental Clinic',
  'Sunrise Textiles Pvt Ltd', 'Copperline Electricals',
];

interface ProductTemplate {
  code: string;
  name: string;
  /** In multiples of the tenant currency's typical loan size; scaled below for low-value currencies. */
  minAmount: number;
  maxAmount: number;
  minTenor: number;
  maxTenor: number;
  annualRate: string;
}

const PRODUCTS: ProductTemplate[] = [
  { code: 'PL-STD', name: 'Personal loan', minAmount: 1_000, maxAmount: 50_000, minTenor: 6, maxTenor: 60, annualRate: '0.149000' },
  { code: 'SME-WC', name: 'SME working capital', minAmount: 10_000, maxAmount: 500_000, minTenor: 3, maxTenor: 36, annualRate: '0.115000' },
  { code: 'AUTO-NEW', name: 'New vehicle loan', minAmount: 5_000, maxAmount: 120_000, minTenor: 12, maxTenor: 84, annualRate: '0.089000' },
];

// Currencies whose everyday loan amounts run into the hundreds of thousands or more.
const LARGE_UNIT_CURRENCIES: Record<string, number> = { INR: 80, JPY: 150, KES: 130, NGN: 1500, IDR: 16000, PHP: 58 };

/** How much the sandbox's amounts are multiplied by in `currency` (1 unless its everyday amounts run larger). */
export function sandboxScale(currency: string): number {
  return LARGE_UNIT_CURRENCIES[currency] ?? 1;
}

function seededUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function contactFor(name: string, index: number): { email: string; phone: string } {
  const local = name.toLowerCase().normalize('NFD').replace(/[^a-z ]/g, '').trim().replace(/\s+/g, '.');
  return { email: `${local}@example.test`, phone: `+1555${String(1_000_000 + index * 7919).slice(-7)}` };
}

export async function seedSandbox(
  client: pg.ClientBase,
  tenant: { slug: string; currency: string; businessDate: string },
): Promise<void> {
  const scale = sandboxScale(tenant.currency);
  for (const product of PRODUCTS) {
    const id = seededUuid(tenant.slug, 'product', product.code);
    await client.query(
      `INSERT INTO loan_product (id, code, name, currency, min_amount, max_amount, min_tenor_months, max_tenor_months, annual_rate)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, product.code, product.name, tenant.currency,
        product.minAmount * scale, product.maxAmount * scale, product.minTenor, product.maxTenor, product.annualRate],
    );
    // Version 1: the usual monthly equal instalments at the product's rate over its longest tenor.
    const terms = loanTerms({ currency: tenant.currency, annualRatePercent: new Decimal(product.annualRate).times(100), numberOfRepayments: product.maxTenor });
    await client.query(
      `INSERT INTO loan_product_version (product_id, version, terms, allocation, created_by, created_at) VALUES ($1, 1, $2, $3, ${SEEDED_BY}, $4::date)`,
      [id, termsToJson(terms), PENALTIES_FEES_INTEREST_PRINCIPAL, tenant.businessDate],
    );
    // The sandbox credit policy (docs/origination-rules.md), active, in the tenant's currency.
    const policy = structuredClone(SANDBOX_CREDIT_POLICY) as CreditRuleSet;
    policy.policy = `sandbox-${product.code.toLowerCase()}`;
    policy.currency = tenant.currency;
    for (const grade of policy.grades) grade.maxAmount = new Decimal(grade.maxAmount).times(scale).toFixed();
    await client.query(
      `INSERT INTO credit_policy (id, product_id, version, status, rule_set, created_by, created_at, activated_by, activated_at)
       VALUES ($1, $2, 1, 'active', $3, ${SEEDED_BY}, $4::date, ${SEEDED_BY}, $4::date)`,
      [seededUuid(tenant.slug, 'policy', product.code), id, policy, tenant.businessDate],
    );
    // Its first active pricing: rates by the policy's grades (percentages, the same in every currency); fees follow
    // the product's terms, which are in the tenant's currency.
    await client.query(
      `INSERT INTO product_pricing (id, product_id, version, status, rates_by_grade, fees, offer_validity_days, created_by, created_at, activated_by, activated_at)
       VALUES ($1, $2, 1, 'active', $3, NULL, $4, ${SEEDED_BY}, $5::date, ${SEEDED_BY}, $5::date)`,
      [seededUuid(tenant.slug, 'pricing', product.code), id, SANDBOX_PRICING.ratesByGrade, SANDBOX_PRICING.offerValidityDays, tenant.businessDate],
    );
    await client.query(
      `INSERT INTO product_document_requirement (product_id, kind, description) VALUES
         ($1, 'proof_of_identity', 'A government-issued photo identity document'),
         ($1, 'proof_of_income', 'A recent payslip or three months of bank statements')`,
      [id],
    );
  }
  // The sandbox approval authority matrix (docs/origination-rules.md), active as version 1, in the tenant's currency.
  const matrix = storedAuthority(sandboxAuthorityMatrix(tenant.currency, scale).levels, SANDBOX_AUTHORITY_ROLES);
  await client.query(
    `INSERT INTO approval_authority_matrix (id, version, status, currency, levels, roles, created_by, created_at, activated_by, activated_at)
     VALUES ($1, 1, 'active', $2, $3, $4, ${SEEDED_BY}, $5::date, ${SEEDED_BY}, $5::date)`,
    [seededUuid(tenant.slug, 'authority-matrix'), tenant.currency, JSON.stringify(matrix.levels), JSON.stringify(matrix.roles), tenant.businessDate],
  );
  const parties = [
    ...PEOPLE.map((name) => ({ name, kind: 'PERSON' })),
    ...BUSINESSES.map((name) => ({ name, kind: 'BUSINESS' })),
  ];
  for (const [index, party] of parties.entries()) {
    const { email, phone } = contactFor(party.name, index);
    await client.query(
      `INSERT INTO party (id, kind, legal_name, email, phone, email_normalised, phone_normalised, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $4, $5, $6::date + make_interval(mins => $7), $6::date + make_interval(mins => $7))`,
      [seededUuid(tenant.slug, 'party', party.name), party.kind, party.name, email, phone, tenant.businessDate, index * 37],
    );
  }
}

export const SANDBOX_COUNTS = { products: PRODUCTS.length, parties: PEOPLE.length + BUSINESSES.length };
