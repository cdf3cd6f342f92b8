// Two replayed accounts alike: their fields, and the schedules they make when first read. The schedules are
// getters of the account's class, which toEqual does not read.
import { expect } from 'vitest';
import type { LoanAccountState } from '../../src/domain/servicing/loanAccount.js';

export function expectSameAccount(a: LoanAccountState, b: LoanAccountState): void {
  expect(a).toEqual(b);
  expect(a.schedule).toEqual(b.schedule);
  expect(a.currentSchedule).toEqual(b.currentSchedule);
}
