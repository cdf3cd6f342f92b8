// The event catalogue is the contract: every type the source emits is in it, named by the convention, and
// docs/events.md is what it renders. Writing an event through it gives the API's forms (global ids, Money
// text) and refuses what it does not name.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { APPLICATION_TRANSITION_EVENT, EVENT_CATALOGUE, namesCataloguedTypes, payloadShownTo, writtenEvent, type FieldSpec } from '../../src/events/catalogue.js';
import { webhookBody } from '../../src/events/webhooks/delivery.js';
import { eventsDoc, EVENTS_FILE } from '../../src/events/catalogueDoc.js';
import { TEST_EVENT_TYPE } from '../../src/events/webhooks/dispatch.js';
import { APPLICATION_EVENTS } from '../../src/domain/origination/applicationStatus.js';
import { Decimal } from '../../src/domain/money.js';
import { databaseIdOf, globalIdOf } from '../../src/domain/globalId.js';
import { eventReaderOf } from '../../src/domain/actors.js';

const SRC = path.join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'generated' ? [] : sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** Constants and tables the source names event types through, resolved to the types they hold. */
const NAMED = new Map<string, string[]>([
  ['TEST_EVENT_TYPE', [TEST_EVENT_TYPE]],
  ['APPLICATION_TRANSITION_EVENT', Object.values(APPLICATION_TRANSITION_EVENT)],
]);

/**
 * Every event type the source can emit: the `type:` of each event draft (a literal, a choice of literals, or a
 * named table), the loan's transaction-kind table, and events inserted by SQL. A draft whose type the scan cannot
 * resolve fails the test, so a new way of naming types has to be taught here rather than slip past.
 */
function emittedTypes(): { types: Set<string>; unresolved: string[] } {
  const types = new Set<string>();
  const unresolved: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (file.endsWith(path.join('events', 'catalogue.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const [, expression] of text.matchAll(/\btype:\s*([^,\n]+?),\s*aggregateType\b/g)) {
      // Code that carries an event already made (runCommand's drafts, a row read back) passes its type through.
      if (/^\w+\.type$/.test(expression!.trim())) continue;
      const literals = [...expression!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
      const named = [...NAMED.keys()].find((name) => expression!.includes(name));
      const table = /^EVENT_TYPE\[/.test(expression!.trim()) ? 'EVENT_TYPE' : null;
      if (literals.length > 0) literals.forEach((t) => types.add(t));
      else if (named) NAMED.get(named)!.forEach((t) => types.add(t));
      else if (table) {
        const block = /const EVENT_TYPE[^{]*\{([^}]*)\}/.exec(text);
        if (!block) unresolved.push(`${path.relative(SRC, file)}: ${expression}`);
        else for (const m of block[1]!.matchAll(/'([^']+)'/g)) types.add(m[1]!);
      } else unresolved.push(`${path.relative(SRC, file)}: ${expression}`);
    }
    for (const [, type] of text.matchAll(/INSERT INTO \$\{s\}\.outbox_event[^`]*?VALUES \(\$1, '([^']+)'/g)) types.add(type!);
  }
  return { types, unresolved };
}

describe('the event catalogue', () => {
  it('holds every event type the source emits, and the scan resolves every draft', () => {
    const { types, unresolved } = emittedTypes();
    expect(unresolved).toEqual([]);
    // The scan finds the drafts (a broken regex would find none and pass).
    expect(types.size).toBeGreaterThan(30);
    expect([...types].filter((type) => !(type in EVENT_CATALOGUE)).sort()).toEqual([]);
  });

  it('names every application transition\'s event, and only catalogued ones', () => {
    for (const event of APPLICATION_EVENTS) expect(EVENT_CATALOGUE[APPLICATION_TRANSITION_EVENT[event]!], event).toBeDefined();
  });

  it('names every type aggregate.pastTenseVerb in camelCase, with its aggregate as the prefix', () => {
    for (const [type, entry] of Object.entries(EVENT_CATALOGUE)) {
      expect(type, type).toMatch(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/);
      const [aggregate, verb] = type.split('.') as [string, string];
      expect(aggregate[0]!.toUpperCase() + aggregate.slice(1), type).toBe(entry.aggregate);
      // Past tense: regular verbs end in -ed; the few irregular ones are listed.
      expect(/ed$/.test(verb) || ['offerMade', 'paidOff', 'withdrawn', 'instalmentsFellDue', 'writtenOff'].includes(verb), type).toBe(true);
      expect(entry.schemaVersion, type).toBeGreaterThanOrEqual(1);
      for (const [name, field] of Object.entries(entry.fields)) expect(field.meaning.length, `${type}.${name}`).toBeGreaterThan(0);
    }
  });

  it('docs/events.md is what the catalogue renders (run `npm run schema` after changing it)', () => {
    expect(readFileSync(EVENTS_FILE, 'utf8')).toBe(eventsDoc());
    for (const type of Object.keys(EVENT_CATALOGUE)) expect(eventsDoc()).toContain(`### \`${type}\``);
  });
});

describe('writing an event through the catalogue', () => {
  const loanId = '0f8b6d1e-7a53-4c1e-9d0a-5b3c2e1f4a77';
  const transactionId = '6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

  it('gives global ids that decode to the database ids, Money text in the currency\'s minor units, and the type\'s version', () => {
    const written = writtenEvent('loan.repaymentPosted', 'Loan', loanId, {
      loanId, transactionId, kind: 'repayment', valueDate: '2026-11-30', amount: { amount: new Decimal('1000'), currency: 'USD' }, status: 'active', daysPastDue: 0,
    });
    expect(written.aggregateId).toBe(globalIdOf('Loan', loanId));
    expect(decodeGlobalID(written.payload['loanId'] as string)).toEqual({ typename: 'Loan', id: loanId });
    expect(decodeGlobalID(written.payload['transactionId'] as string)).toEqual({ typename: 'LoanTransaction', id: transactionId });
    expect(written.payload['amount']).toBe('1000.00 USD');
    expect(writtenEvent('loan.repaymentPosted', 'Loan', loanId, { ...written.payload, loanId, transactionId, amount: { amount: '5', currency: 'JPY' } }).payload['amount']).toBe('5 JPY');
    expect(written.schemaVersion).toBe(EVENT_CATALOGUE['loan.repaymentPosted']!.schemaVersion);
    expect(databaseIdOf(written.aggregateId, 'Loan')).toBe(loanId);
    expect(databaseIdOf(written.aggregateId, 'Application')).toBeNull();
  });

  it('refuses a type, a field or a shape the catalogue does not name', () => {
    expect(() => writtenEvent('loan.disburse', 'Loan', loanId, {})).toThrow(/not in the event catalogue/);
    expect(() => writtenEvent('loan.statusChanged', 'Application', loanId, { loanId, from: 'a', to: 'b', daysPastDue: 0 })).toThrow(/happens to Loan/);
    expect(() => writtenEvent('loan.statusChanged', 'Loan', loanId, { loanId, from: 'a', to: 'b', daysPastDue: 0, secret: 'x' })).toThrow(/secret: not in the event catalogue/);
    expect(() => writtenEvent('loan.statusChanged', 'Loan', loanId, { loanId, from: 'a', to: 'b' })).toThrow(/daysPastDue: missing/);
    expect(() => writtenEvent('loan.waiverRequested', 'Loan', loanId, {
      requestId: loanId, loanId, component: 'fee', amount: '10', instalment: null, valueDate: '2026-11-30', reason: 'x',
    })).toThrow(/amount: an amount with its currency/);
  });

  it('takes in filters only patterns that name catalogued types', () => {
    expect(['*', 'loan.*', 'application.offerAccepted'].every(namesCataloguedTypes)).toBe(true);
    expect(['loan.disburse', 'probe.*', 'application.accept_offer'].some(namesCataloguedTypes)).toBe(false);
  });
});

describe('who did it, in an event as its receiver gets it', () => {
  const applicationId = '2a7c1e5d-3b4f-4d6a-8c9e-0f1a2b3c4d5e';
  const approved = writtenEvent('application.approved', 'Application', applicationId, {
    applicationId, reference: 'APP-0000042', from: 'referred', to: 'approved',
    decision: { decisionId: 'd-1', outcome: 'APPROVE', riskGrade: 'A', recommendedBy: 'ursula.underwriter@lender.example', override: false },
  });
  const row = {
    event_id: 'e-1', seq: '7', type: 'application.approved', aggregate_type: 'Application', aggregate_id: approved.aggregateId, tenant: 'acme',
    occurred_at: new Date('2026-12-01T10:00:00Z'), schema_version: approved.schemaVersion, payload: approved.payload,
  };
  const recommendedBy = (body: string) => JSON.parse(body).data.decision.recommendedBy;

  it('marks every field that names who did something as an actor', () => {
    const named = (fields: Readonly<Record<string, FieldSpec>>, prefix: string): [string, FieldSpec][] =>
      Object.entries(fields).flatMap(([name, field]) => [[`${prefix}${name}`, field] as [string, FieldSpec], ...(field.items ? named(field.items, `${prefix}${name}.`) : [])]);
    const all = Object.entries(EVENT_CATALOGUE).flatMap(([type, entry]) => named(entry.fields, `${type} `));
    const unmarked = all.filter(([name, field]) => /By$/.test(name) && field.type === 'String' && !field.actor).map(([name]) => name);
    expect(unmarked).toEqual([]);
    // Events partners receive: the actors in them are the lender's staff (an underwriter), never the partner itself.
    expect(Object.entries(EVENT_CATALOGUE).filter(([, entry]) => entry.audience !== 'staffOnly')
      .flatMap(([type, entry]) => named(entry.fields, `${type} `)).filter(([, field]) => field.actor).map(([name]) => name).sort())
      .toEqual(['application.approved decision.recommendedBy', 'application.declined decision.recommendedBy', 'application.referred decision.recommendedBy']);
  });

  it('a partner\'s webhook body names the lender\'s staff as `lender`; the lender\'s own endpoint receives the person', () => {
    expect(recommendedBy(webhookBody({ ...row, partner_code: 'fintech' }))).toBe('lender');
    expect(recommendedBy(webhookBody({ ...row, partner_code: null }))).toBe('ursula.underwriter@lender.example');
    // Everything else in the body is the stored event as it was written.
    const { data: shown, ...envelope } = JSON.parse(webhookBody({ ...row, partner_code: 'fintech' }));
    expect(envelope).toEqual({ id: 'e-1', type: 'application.approved', aggregateType: 'Application', aggregateId: approved.aggregateId, tenant: 'acme',
      occurredAt: '2026-12-01T10:00:00.000Z', cursor: '7', schemaVersion: approved.schemaVersion });
    expect(shown).toEqual({ ...approved.payload, decision: { ...(approved.payload['decision'] as object), recommendedBy: 'lender' } });
  });

  it('a partner receives the platform as recorded, and a payload without actors unchanged', () => {
    const byPolicy = { ...approved.payload, decision: { ...(approved.payload['decision'] as object), recommendedBy: 'policy' } };
    expect(payloadShownTo('application.approved', byPolicy, { partner: 'fintech', subject: null })).toEqual(byPolicy);
    const status = writtenEvent('loan.statusChanged', 'Loan', applicationId, { loanId: applicationId, from: 'active', to: 'overdue', daysPastDue: 1 });
    expect(payloadShownTo('loan.statusChanged', status.payload, { partner: 'fintech', subject: null })).toEqual(status.payload);
  });

  it('a payload whose type has no actor reaches a partner as stored, not copied; a type the catalogue does not name shows every `…By` as the rule says', () => {
    const status = writtenEvent('loan.statusChanged', 'Loan', applicationId, { loanId: applicationId, from: 'active', to: 'overdue', daysPastDue: 1 });
    expect(payloadShownTo('loan.statusChanged', status.payload, eventReaderOf('fintech'))).toBe(status.payload);
    // Stored under a name since retired: nothing in it is looked up, so every name ending in By is taken for an actor.
    const retired = { approvedBy: 'ursula.underwriter@lender.example', note: 'kept', steps: [{ doneBy: 'policy' }, { doneBy: 'sam@lender.example', at: '2026-12-01' }], count: 2 };
    expect(payloadShownTo('application.approvedLongAgo', retired, eventReaderOf('fintech')))
      .toEqual({ approvedBy: 'lender', note: 'kept', steps: [{ doneBy: 'policy' }, { doneBy: 'lender', at: '2026-12-01' }], count: 2 });
    expect(payloadShownTo('application.approvedLongAgo', retired, eventReaderOf(null))).toBe(retired);
  });
});
