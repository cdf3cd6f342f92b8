// A sandbox lender of its own with one loan booked (PL-STD, 6,000 in 6 monthly instalments, paid out on its first
// business date) and a staff token per subject asked for: for a test that counts what its lender holds, beside
// walks that count every request and event of theirs.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import type { Role } from '../../src/authz/roles.js';
import { createTenant, devToken, gql, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from './harness.js';

export async function lenderWithLoan(server: TestServer, prefix: string, staff: Record<string, Role>, businessDate = '2026-01-05'): Promise<{
  lender: TenantRecord; loanId: string; tokens: Record<string, string>;
}> {
  const lender = await createTenant(server.runtime, uniqueSlug(prefix), { sandbox: true, businessDate });
  const tokens: Record<string, string> = {};
  for (const [subject, role] of Object.entries(staff)) tokens[subject] = await devToken(server.runtime, role, lender.slug, { subject });
  const booked = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`, {
    token: await devToken(server.runtime, 'disbursement-officer', lender.slug),
    variables: { input: { idempotencyKey: `book-${randomUUID()}`, productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: businessDate } },
  });
  expect(userErrors(booked, 'disburseLoan')).toEqual([]);
  return { lender, loanId: booked.data!['disburseLoan'].loan.id as string, tokens };
}
