// One check over every argument of every field, before any resolver (or authorization rule) sees it: strings
// that PostgreSQL cannot store or that no lender would write, and ids this API never gave out, are refused here
// as BAD_USER_INPUT naming the field (`input.repayments[3].loanId`), so no service needs to remember them.
// Services keep their own, finer rules (a purpose of 2–200 characters, an e-mail address); this is the floor
// every field stands on, including the ones added later. The limits are documented in docs/input-limits.md.
import {
  defaultFieldResolver,
  getNullableType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { badInput, withArticle } from '../errors.js';
import { isUuid } from '../domain/globalId.js';

/** The longest string any field takes unless named in MAX_LENGTH. */
export const DEFAULT_MAX_LENGTH = 200;

/** Fields (by name, wherever they appear) whose limit is not DEFAULT_MAX_LENGTH: longer or shorter. */
export const MAX_LENGTH: Readonly<Record<string, number>> = {
  reason: 2_000,
  // A collector's note on a case; a reviewer's note on a possible duplicate (its own rule: at most 1,000).
  note: 2_000,
  // A reminder's template (its own rule: at most 1,000).
  template: 1_000,
  channel: 50,
  externalReference: 100,
  consentText: 10_000,
  legalName: 300,
  // The longest e-mail address (64 + @ + 255).
  email: 320,
  url: 2_048,
  ruleSet: 200_000,
  // A CSV file of applications: bounded by the request body limit (MAX_REQUEST_BYTES) rather than here.
  csv: 100_000_000,
  // A NACHA return file: bounded by the request body limit too.
  file: 100_000_000,
};

/**
 * Strings whose length is the service's own rule and message (an idempotency key's 8–200 characters); they are
 * still refused with NUL bytes or lone surrogates.
 */
const LENGTH_CHECKED_BY_SERVICE = new Set(['idempotencyKey']);

/** The longest global id: a type name and a UUID, base64-encoded, with room to spare. */
const MAX_ID_LENGTH = 200;

export function maxLengthOf(fieldName: string): number {
  return MAX_LENGTH[fieldName] ?? DEFAULT_MAX_LENGTH;
}

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

/** Why a string cannot be stored as given, or null when it can. */
export function textProblem(value: string, fieldName: string): string | null {
  // PostgreSQL's text refuses U+0000; a lone surrogate is not Unicode at all (and not valid UTF-8 on the way out).
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (/\p{Cs}/u.test(value)) return 'must be valid Unicode (it has a lone surrogate)';
  const max = maxLengthOf(fieldName);
  // Characters are Unicode code points, as PostgreSQL's length() counts them (an emoji is one, not two).
  if (!LENGTH_CHECKED_BY_SERVICE.has(fieldName) && value.length > max && codePoints(value) > max) {
    return `must be at most ${max.toLocaleString('en')} characters`;
  }
  return null;
}

interface IdRule {
  /** Node types this id may name; null for any. */
  types: readonly string[] | null;
}

/** Each argument's or input field's rule, read from its definition once (the same object for every value it takes). */
const idRules = new WeakMap<GraphQLArgument | GraphQLInputField, IdRule>();

function idRuleOf(definition: GraphQLArgument | GraphQLInputField): IdRule {
  let rule = idRules.get(definition);
  if (!rule) {
    const forTypes = definition.extensions?.['relayGlobalIDFor'] as { typename: string }[] | null | undefined;
    rule = { types: forTypes && forTypes.length > 0 ? forTypes.map((entry) => entry.typename) : null };
    idRules.set(definition, rule);
  }
  return rule;
}

/**
 * Why a value is refused, and where under its argument: `at` lists the object keys and list positions from the
 * value up (written out as `input.repayments[3].loanId` only for a refusal), `because` the message for that name.
 */
interface Refusal {
  at: (string | number)[];
  because: (field: string) => string;
}

const refusal = (because: (field: string) => string): Refusal => ({ at: [], because });

/** An id that is not a global id of one of the expected Node types around a UUID. */
function globalIdRefusal(value: string, rule: IdRule, nodeTypes: ReadonlySet<string>): Refusal | null {
  const refuse = (why: string) => {
    const expected = rule.types ? rule.types.join(' or ') : 'an object';
    return refusal((field) => `${field} ${why}: give the \`id\` of ${rule.types ? withArticle(expected) : expected} as this API returned it`);
  };
  if (value.length === 0 || value.length > MAX_ID_LENGTH) return refuse('is not a global id');
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(value);
  } catch {
    return refuse('is not a global id');
  }
  if (!nodeTypes.has(decoded.typename)) return refuse('is not a global id');
  if (rule.types && !rule.types.includes(decoded.typename)) return refuse(`is the id of ${withArticle(decoded.typename)}`);
  if (!isUuid(decoded.id)) return refuse('is not a global id');
  return null;
}

interface Walk {
  nodeTypes: ReadonlySet<string>;
}

/** One check of the arguments of one field: ids found good are not decoded again (a payment file names each loan many times). */
interface Check {
  walk: Walk;
  goodIds?: Map<IdRule, Set<string>>;
}

function refusalIn(check: Check, value: unknown, type: GraphQLInputType, name: string, idRule: IdRule): Refusal | null {
  if (value === null || value === undefined) return null;
  const required = isNonNullType(type);
  const named = getNullableType(type) as GraphQLInputType;
  if (isListType(named)) {
    if (!Array.isArray(value)) return null;
    const item = named.ofType as GraphQLInputType;
    for (let k = 0; k < value.length; k += 1) {
      const refused = refusalIn(check, value[k], item, name, idRule);
      if (refused) {
        refused.at.push(k);
        return refused;
      }
    }
    return null;
  }
  if (isInputObjectType(named)) {
    const fields = named.getFields();
    for (const key of Object.keys(value as Record<string, unknown>)) {
      const definition: GraphQLInputField | undefined = fields[key];
      if (!definition) continue;
      const refused = refusalIn(check, (value as Record<string, unknown>)[key], definition.type, key, idRuleOf(definition));
      if (refused) {
        refused.at.push(key);
        return refused;
      }
    }
    return null;
  }
  if (isScalarType(named) && named.name === 'JSON') return jsonRefusal(value, name);
  if (!isScalarType(named) || typeof value !== 'string') return null;
  if (named.name === 'ID') {
    let good = check.goodIds?.get(idRule);
    if (good?.has(value)) return null;
    const refused = globalIdRefusal(value, idRule, check.walk.nodeTypes);
    if (refused) return refused;
    if (!good) (check.goodIds ??= new Map()).set(idRule, (good = new Set()));
    good.add(value);
    return null;
  }
  if (named.name !== 'String') return null;
  const problem = textProblem(value, name);
  if (problem) return refusal((field) => `${field} ${problem}`);
  if (required && value.trim().length === 0) return refusal((field) => `${field} must not be blank`);
  return null;
}

/** How deep a JSON value may nest: a credit policy's rule set needs a handful of levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Why a JSON value (a credit policy's rule set) cannot be taken: a key or string PostgreSQL cannot store or that is not
 * Unicode, nesting deeper than MAX_JSON_DEPTH, or more text in all than the field's limit (its keys and strings, as
 * characters, plus a character for every other value). Walked without recursion, so no depth of nesting can exhaust
 * the stack before it is refused.
 */
function jsonRefusal(value: unknown, name: string): Refusal | null {
  const max = maxLengthOf(name);
  let size = 0;
  const stack: { value: unknown; depth: number; at: (string | number)[] }[] = [{ value, depth: 0, at: [] }];
  const refused = (at: (string | number)[], because: (field: string) => string): Refusal => ({ at: [...at].reverse(), because });
  while (stack.length > 0) {
    const { value: item, depth, at } = stack.pop()!;
    if (typeof item === 'string') {
      size += item.length;
      if (item.includes('\u0000')) return refused(at, (field) => `${field} must not contain NUL characters`);
      if (/\p{Cs}/u.test(item)) return refused(at, (field) => `${field} must be valid Unicode (it has a lone surrogate)`);
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_DEPTH) return refused(at, (field) => `${field} nests deeper than ${MAX_JSON_DEPTH} levels`);
      const entries: [string | number, unknown][] = Array.isArray(item) ? item.map((element, k) => [k, element]) : Object.entries(item);
      size += 2;
      for (const [key, element] of entries) {
        if (typeof key === 'string') {
          size += key.length;
          if (key.includes('\u0000')) return refused(at, (field) => `${field} must not have a key with NUL characters`);
          if (/\p{Cs}/u.test(key)) return refused(at, (field) => `${field} must not have a key that is not valid Unicode`);
        }
        stack.push({ value: element, depth: depth + 1, at: [...at, key] });
      }
    } else {
      size += 1;
    }
    if (size > max) return refusal((field) => `${field} must be at most ${max.toLocaleString('en')} characters of JSON text`);
  }
  return null;
}

/** `argument` and the path under it, as a caller names the field: `input.repayments[3].loanId`. */
function fieldAt(argument: string, at: readonly (string | number)[]): string {
  let field = argument;
  for (let k = at.length - 1; k >= 0; k -= 1) field += typeof at[k] === 'number' ? `[${at[k]}]` : `.${at[k]}`;
  return field;
}

export function checkArguments(walk: Walk, definitions: readonly GraphQLArgument[], args: Record<string, unknown>): void {
  const check: Check = { walk };
  for (const definition of definitions) {
    const refused = refusalIn(check, args[definition.name], definition.type, definition.name, idRuleOf(definition));
    if (refused) {
      const field = fieldAt(definition.name, refused.at);
      throw badInput(field, refused.because(field));
    }
  }
}

/** Wraps every field that takes arguments (resolve and subscribe) so its arguments are checked first. */
const guarded = new WeakSet<object>();

export function checkInputsOf(schema: GraphQLSchema): GraphQLSchema {
  const node = schema.getType('Node');
  const nodeTypes = new Set(node && isInterfaceType(node) ? schema.getImplementations(node).objects.map((type) => type.name) : []);
  const walk: Walk = { nodeTypes };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0 || guarded.has(field)) continue;
      guarded.add(field);
      const definitions = field.args;
      const guard = <S, C>(inner: GraphQLFieldResolver<S, C>): GraphQLFieldResolver<S, C> => (source, args, context, info) => {
        checkArguments(walk, definitions, args);
        return inner(source, args, context, info);
      };
      field.resolve = guard(field.resolve ?? defaultFieldResolver);
      if (field.subscribe) field.subscribe = guard(field.subscribe);
    }
  }
  return schema;
}
