// Reminders as tables of exact cases: templates and their fields by trigger, rules refused naming the entry, quiet
// hours in a borrower's time zone (spanning midnight, across a daylight-saving change), masked destinations.
import { describe, expect, it } from 'vitest';
import { refusalOf as refusal } from '../../support/refusal.js';
import {
  assertValidRules, assertValidTemplate, clockMinutes, isQuiet, localMinutes, maskDestination, renderTemplate, sendableAt, DEFAULT_QUIET_HOURS, type ReminderRuleInput,
} from '../../../src/domain/servicing/reminders.js';

describe('templates', () => {
  it('renders the fields it names', () => {
    expect(renderTemplate('Dear {{borrowerName}}, {{ amountDue }} is due on {{dueDate}} on {{loanNumber}}. {{lenderName}}', {
      borrowerName: 'Asha Rao', amountDue: '1,000.00 INR', dueDate: '2026-03-05', loanNumber: 'L-000012', lenderName: 'Acme',
    })).toBe('Dear Asha Rao, 1,000.00 INR is due on 2026-03-05 on L-000012. Acme');
  });

  it('refuses an unknown field, a field its trigger does not give, and a stray brace', () => {
    expect(refusal(() => assertValidTemplate('{{amountDue}} due', 'beforeDue', 't'))).toBeNull();
    expect(refusal(() => assertValidTemplate('{{balance}} due', 'beforeDue', 't'))?.message).toContain('{{balance}} is not a template field');
    expect(refusal(() => assertValidTemplate('{{amountDue}} overdue', 'pastDue', 't'))?.message).toBe('{{amountDue}} is not given to pastDue reminders');
    expect(refusal(() => assertValidTemplate('{{daysPastDue}} days', 'beforeDue', 't'))?.message).toBe('{{daysPastDue}} is not given to beforeDue reminders');
    expect(refusal(() => assertValidTemplate('pay {{dueDate', 'beforeDue', 't'))?.field).toBe('t');
    expect(refusal(() => assertValidTemplate('   ', 'beforeDue', 't'))?.field).toBe('t');
  });
});

describe('rules', () => {
  const rule = (over: Partial<ReminderRuleInput>): ReminderRuleInput => ({ trigger: 'beforeDue', days: 3, channel: 'sms', template: 'due {{dueDate}}', productCode: null, ...over });
  it('names the entry at fault', () => {
    expect(refusal(() => assertValidRules([rule({}), rule({ trigger: 'pastDue', days: 1, template: '{{daysPastDue}} days late' })]))).toBeNull();
    expect(refusal(() => assertValidRules([rule({ days: 0 })]))).toBeNull();
    expect(refusal(() => assertValidRules([rule({}), rule({ trigger: 'pastDue', days: 0 })]))?.field).toBe('rules.1.days');
    expect(refusal(() => assertValidRules([rule({ days: 366 })]))?.field).toBe('rules.0.days');
    expect(refusal(() => assertValidRules([rule({}), rule({ days: 4, template: '{{amountDue}}' }), rule({ trigger: 'pastDue', days: 5, template: '{{amountDue}}' })]))?.field).toBe('rules.2.template');
    expect(refusal(() => assertValidRules([rule({}), rule({})]))?.field).toBe('rules.1');
    expect(refusal(() => assertValidRules([rule({}), rule({ productCode: 'PL-STD' })]))).toBeNull();
  });
});

describe('quiet hours', () => {
  const quiet = DEFAULT_QUIET_HOURS; // 21:00 to 08:00
  it('spans midnight', () => {
    expect([0, 7 * 60 + 59, 8 * 60, 20 * 60 + 59, 21 * 60, 23 * 60 + 59].map((m) => isQuiet(m, quiet))).toEqual([true, true, false, false, true, true]);
    expect(isQuiet(12 * 60, { from: 12 * 60, to: 13 * 60 })).toBe(true);
    expect(isQuiet(13 * 60, { from: 12 * 60, to: 13 * 60 })).toBe(false);
    expect(isQuiet(3 * 60, { from: 0, to: 0 })).toBe(false);
    expect(clockMinutes('21:30', 'x')).toBe(1290);
    expect(refusal(() => clockMinutes('24:00', 'quietHoursStart'))?.field).toBe('quietHoursStart');
  });

  const cases: [string, string, string, string][] = [
    // instant (UTC), time zone, sendable at (UTC), why
    ['2026-03-10T10:00:00Z', 'Asia/Kolkata', '2026-03-10T10:00:00Z', '15:30 in Kolkata: not quiet'],
    ['2026-03-10T18:40:00Z', 'Asia/Kolkata', '2026-03-11T02:30:00Z', '00:10 in Kolkata: waits for 08:00 (02:30 UTC)'],
    ['2026-03-10T15:45:00Z', 'Asia/Kolkata', '2026-03-11T02:30:00Z', '21:15 in Kolkata: waits overnight'],
    ['2026-03-10T02:30:00Z', 'Asia/Kolkata', '2026-03-10T02:30:00Z', '08:00 exactly: may go'],
    ['2026-03-10T06:00:00Z', 'America/New_York', '2026-03-10T12:00:00Z', '02:00 in New York (EDT since 8 March): 08:00 is 12:00 UTC'],
    // New York springs forward at 02:00 on 8 March 2026: 01:00 EST is 06:00 UTC; 08:00 EDT that morning is 12:00 UTC.
    ['2026-03-08T06:00:00Z', 'America/New_York', '2026-03-08T12:00:00Z', 'across the clock change forward'],
    // It falls back at 02:00 on 1 November 2026: 01:00 EDT is 05:00 UTC; 08:00 EST is 13:00 UTC.
    ['2026-11-01T05:00:00Z', 'America/New_York', '2026-11-01T13:00:00Z', 'across the clock change back'],
  ];
  for (const [instant, zone, expected, why] of cases) {
    it(why, () => {
      const at = sendableAt(new Date(instant), zone, quiet);
      expect(at.toISOString()).toBe(new Date(expected).toISOString());
      expect(isQuiet(localMinutes(at, zone), quiet)).toBe(false);
    });
  }
});

describe('destinations', () => {
  it('are masked', () => {
    expect(maskDestination('sms', '+1 415 555 0177')).toBe('+141•••77');
    expect(maskDestination('email', 'asha.rao@example.test')).toBe('a•••@example.test');
    expect(maskDestination('sms', '12345')).toBe('•••');
  });
});
