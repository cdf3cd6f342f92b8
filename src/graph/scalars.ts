// Decimal, Money, Date and DateTime travel as strings, so no client ever parses money into a float. Each scalar
// refuses what it cannot hold exactly (an exponent, NaN, 10^39, 2026-02-30, year 99999) with BAD_USER_INPUT, and
// graphql-js names the field (`input.valueDate`); the bounds are in docs/input-limits.md.
import { Kind, type ValueNode } from 'graphql';
import { AppError } from '../errors.js';
import { Decimal, formatAmountText, formatMoney, money, parseDecimalText, parseMoney, type Money } from '../domain/money.js';
import { EARLIEST_DATE, LATEST_DATE, isDateInRange } from '../domain/businessDate.js';
import { JSONResolver } from 'graphql-scalars';
import { builder } from './builder.js';
import { checkIdempotencyKey, IDEMPOTENCY_KEY_RULE } from '../commands/idempotencyKey.js';

function stringLiteral(ast: ValueNode, scalar: string): string {
  if (ast.kind !== Kind.STRING) throw new AppError('BAD_USER_INPUT', `${scalar} must be given as a string`);
  return ast.value;
}

function parseDecimal(value: unknown): Decimal {
  const parsed = typeof value === 'string' ? parseDecimalText(value) : { problem: 'must be a string like "1234.56"' };
  if ('problem' in parsed) throw new AppError('BAD_USER_INPUT', `Decimal ${parsed.problem}`);
  return parsed.value;
}

builder.scalarType('Decimal', {
  description: 'An exact decimal number as a string, e.g. "1234.5600". Never a float; less than 10^15 in size, at most 10 digits after the point; "-0" is 0.',
  serialize: (value) => (typeof value === 'string' ? value : value.toFixed()),
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(stringLiteral(ast, 'Decimal')),
});

function parseMoneyValue(value: unknown) {
  const parsed = typeof value === 'string' ? parseMoney(value) : null;
  if (!parsed) throw new AppError('BAD_USER_INPUT', 'Money must be a string like "1250.00 USD" (amount below 10^15 in the currency\'s minor units, space, ISO 4217 code)');
  return parsed;
}

builder.scalarType('Money', {
  description: 'An amount with its currency, as "<amount> <ISO 4217 code>", e.g. "1250.00 USD"; the amount has the currency\'s minor units. One loan\'s amounts are below 10^15; a sum over many loans (a ledger account\'s balance, a portfolio total) may be larger.',
  // Text is what moneyAnswer already wrote out.
  serialize: (value) => (typeof value === 'string' ? value : formatMoney(value)),
  parseValue: parseMoneyValue,
  parseLiteral: (ast) => parseMoneyValue(stringLiteral(ast, 'Money')),
});

/**
 * What a Money field answers for an amount: exact decimal text (a numeric column's, as PostgreSQL wrote it) is
 * written out from the text itself, when that needs no rounding; anything else becomes Money, which the scalar
 * writes out. The same answer either way: making a Decimal of every amount of a page of loans only to write it out
 * again was a tenth of the page's work on the gateway (docs/performance.md).
 */
export function moneyAnswer(amount: Decimal | string | { toString(): string }, currency: string): Money | string {
  if (typeof amount === 'string') {
    const wire = formatAmountText(amount, currency);
    if (wire !== null) return wire;
  }
  return money(amount, currency);
}

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !isDateInRange(value)) {
    throw new AppError('BAD_USER_INPUT', `Date must be a calendar date YYYY-MM-DD from ${EARLIEST_DATE} to ${LATEST_DATE}`);
  }
  return value;
}

builder.scalarType('Date', {
  description: 'A calendar (business) date, YYYY-MM-DD, in the tenant\'s time zone.',
  serialize: (value) => value,
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(stringLiteral(ast, 'Date')),
});

function parseDateTime(value: unknown): Date {
  const text = typeof value === 'string' ? value : '';
  const date = new Date(text);
  const valid = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(date.getTime())
    && isDateInRange(text.slice(0, 10)) && isDateInRange(date.toISOString().slice(0, 10));
  if (!valid) {
    throw new AppError('BAD_USER_INPUT', `DateTime must be an ISO 8601 instant with an offset, e.g. 2026-11-22T10:00:00Z, from ${EARLIEST_DATE} to ${LATEST_DATE}`);
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant, ISO 8601 in UTC, e.g. "2026-11-22T10:00:00.000Z".',
  serialize: (value) => value.toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(stringLiteral(ast, 'DateTime')),
});

// Refused while the request's variables are read, before any resolver runs: nothing can be written with a bad
// key. graphql-js names the path (`input.idempotencyKey`), which the error formatter puts in `extensions.field`.
const parseIdempotencyKey = (value: unknown) => checkIdempotencyKey(value, 'idempotencyKey');

builder.scalarType('IdempotencyKey', {
  description: `A client's key for repeating a request safely: ${IDEMPOTENCY_KEY_RULE}. The same key and input from the same caller get the stored result; the same key with another input is a CONFLICT.`,
  serialize: (value) => value,
  parseValue: parseIdempotencyKey,
  parseLiteral: (ast) => parseIdempotencyKey(stringLiteral(ast, 'IdempotencyKey')),
});

// Data whose shape is the data's own (a provider's response, an event's payload, a rule set that
// docs/origination-rules.md describes) travels as an object, never as JSON inside a string. graphql-scalars does
// the coercion; its refusals become BAD_USER_INPUT like every other scalar's.
function refusedAsInput<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new AppError('BAD_USER_INPUT', error instanceof Error ? error.message : 'not a JSON value');
  }
}

builder.scalarType('JSON', {
  description: 'A JSON value (usually an object, e.g. {"rules": []}) whose shape the field that carries it describes; never a string holding JSON.',
  serialize: (value) => JSONResolver.serialize(value),
  parseValue: (value) => refusedAsInput(() => JSONResolver.parseValue(value) as unknown),
  parseLiteral: (ast, variables) => refusedAsInput(() => JSONResolver.parseLiteral(ast, variables) as unknown),
});
