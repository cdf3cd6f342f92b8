// The schema conventions of docs/partners.md ("Schema conventions"), checked on the built schema so a new field
// that breaks one fails here rather than in a partner's generated client.
import { describe, expect, it } from 'vitest';
import {
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
} from 'graphql';
import { buildSchema } from '../../src/graph/schema.js';

// A name that says "one of a closed set": the value belongs in an enum, never a String. A list of them
// (`roles`) is the same set, so plurals count too.
const CLOSED_SET_NAMES = new Set(['status', 'kind', 'state', 'type', 'channel', 'component', 'role']);
const CLOSED_SET_SUFFIXES = ['Status', 'Kind'];

function singular(name: string): string {
  if (name.endsWith('ses')) return name.slice(0, -2); // statuses → status
  if (name.endsWith('s')) return name.slice(0, -1);
  return name;
}

function namesAClosedSet(name: string): boolean {
  return [name, singular(name)].some((n) => CLOSED_SET_NAMES.has(n) || CLOSED_SET_SUFFIXES.some((s) => n.endsWith(s)));
}

const SCREAMING_SNAKE_CASE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

// A rate is a percentage and says so: `annualRatePercent`, never `annualRate` (a fraction or a percentage,
// the reader cannot tell). Anything ending in "rate"/"Rate" that is not "…RatePercent" breaks it.
function isUnlabelledRate(name: string): boolean {
  return /rate$/i.test(name);
}

// Names allowed to break a rule, each with its reason. Each is an open set that only looks closed.
const PRODUCT_DOCUMENT_KINDS = 'each product names the documents it requires (proof_of_identity, bank_statement …): a lender adds a kind without a schema change';
const PAYMENT_CHANNELS = 'the lender\'s own payment rails as its bank files name them (bank-transfer, upi, cheque …): free text the API records and never branches on';
const EVENT_TYPES = 'dotted event names (aggregate.pastTenseVerb) with `aggregate.*` prefixes, checked against the event catalogue (src/events/catalogue.ts, docs/events.md): a GraphQL enum value cannot hold a dot, and one spelling serves webhooks, the subscription and the query';
const EXCEPTIONS: Readonly<Record<string, string>> = {
  'ApplicationDocument.kind': PRODUCT_DOCUMENT_KINDS,
  'DocumentChecklistItem.kind': PRODUCT_DOCUMENT_KINDS,
  'ProductDocumentChecklistItem.kind': PRODUCT_DOCUMENT_KINDS,
  'ProductDocumentChecklistItemInput.kind': PRODUCT_DOCUMENT_KINDS,
  'LoanTransaction.channel': PAYMENT_CHANNELS,
  'PostRepaymentInput.channel': PAYMENT_CHANNELS,
  'RepaymentLineInput.channel': PAYMENT_CHANNELS,
  'RefundLoanExcessInput.channel': PAYMENT_CHANNELS,
  'TenantEvent.type': EVENT_TYPES,
  'Query.events(types)': EVENT_TYPES,
  'Subscription.events(types)': EVENT_TYPES,
};

type Slot = { where: string; name: string; type: GraphQLNamedType; description: string | null | undefined };

function slotsOf(schema: GraphQLSchema): Slot[] {
  const slots: Slot[] = [];
  const arg = (owner: string, a: GraphQLArgument) =>
    slots.push({ where: `${owner}(${a.name})`, name: a.name, type: getNamedType(a.type), description: a.description });
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
        const where = `${type.name}.${field.name}`;
        slots.push({ where, name: field.name, type: getNamedType(field.type), description: field.description });
        for (const a of field.args) arg(where, a);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()) as GraphQLInputField[]) {
        slots.push({ where: `${type.name}.${field.name}`, name: field.name, type: getNamedType(field.type), description: field.description });
      }
    }
  }
  return slots;
}

function conventionViolations(schema: GraphQLSchema): string[] {
  const found: string[] = [];
  for (const slot of slotsOf(schema)) {
    if (slot.type.name === 'String' && namesAClosedSet(slot.name)) found.push(`${slot.where}: a closed set typed String`);
    if (isUnlabelledRate(slot.name)) found.push(`${slot.where}: a rate not named …RatePercent`);
    if (slot.type.name === 'String' && /\bjson\b/i.test(slot.description ?? '')) found.push(`${slot.where}: JSON inside a String`);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isEnumType(type) || type.name.startsWith('__')) continue;
    for (const value of type.getValues()) {
      if (!SCREAMING_SNAKE_CASE.test(value.name)) found.push(`${type.name}.${value.name}: an enum value not in SCREAMING_SNAKE_CASE`);
    }
  }
  return found.filter((violation) => !(violation.split(':')[0]! in EXCEPTIONS));
}

function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * The one mutation shape (docs/partners.md, "Mutations"): `fooBar(input: FooBarInput!): FooBarPayload!` — no
 * argument at all only when the mutation takes nothing — whose payload has `userErrors: [UserError!]!` and
 * only nullable fields besides, since they are null when the mutation is refused.
 */
function mutationShapeViolations(schema: GraphQLSchema): string[] {
  const found: string[] = [];
  const mutation = schema.getMutationType();
  for (const field of Object.values(mutation?.getFields() ?? {})) {
    const name = capitalized(field.name);
    const where = `Mutation.${field.name}`;
    const args = field.args.map((a) => `${a.name}: ${String(a.type)}`);
    if (!(args.length === 0 || (args.length === 1 && args[0] === `input: ${name}Input!`))) {
      found.push(`${where}: takes (${args.join(', ')}), not (input: ${name}Input!)`);
    }
    const payload = isNonNullType(field.type) ? field.type.ofType : undefined;
    if (!isObjectType(payload) || payload.name !== `${name}Payload`) {
      found.push(`${where}: returns ${String(field.type)}, not ${name}Payload!`);
      continue;
    }
    const fields = payload.getFields();
    const userErrors = fields['userErrors']?.type;
    const isUserErrorList =
      userErrors !== undefined && isNonNullType(userErrors) && isListType(userErrors.ofType) &&
      isNonNullType(userErrors.ofType.ofType) && getNamedType(userErrors) === schema.getType('UserError');
    if (!isUserErrorList) found.push(`${payload.name}: has no userErrors: [UserError!]!`);
    for (const [fieldName, payloadField] of Object.entries(fields)) {
      if (fieldName !== 'userErrors' && isNonNullType(payloadField.type)) found.push(`${payload.name}.${fieldName}: non-null, so a refusal cannot leave it null`);
    }
  }
  return found;
}

describe('the mutation shape', () => {
  it('every mutation takes one input and answers its own payload with userErrors', () => {
    const schema = buildSchema();
    expect(Object.keys(schema.getMutationType()!.getFields()).length).toBeGreaterThan(30);
    expect(mutationShapeViolations(schema)).toEqual([]);
  });

  it('finds each kind of deviation in a schema that has them', () => {
    const UserError = new GraphQLObjectType({ name: 'UserError', fields: { message: { type: new GraphQLNonNull(GraphQLString) } } });
    const Thing = new GraphQLObjectType({ name: 'Thing', fields: { name: { type: GraphQLString } } });
    const input = (name: string) => new GraphQLInputObjectType({ name, fields: { name: { type: GraphQLString } } });
    const userErrorsField = { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(UserError))) };
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { thing: { type: Thing } } }),
      mutation: new GraphQLObjectType({
        name: 'Mutation',
        fields: {
          makeThing: {
            type: new GraphQLNonNull(new GraphQLObjectType({ name: 'MakeThingPayload', fields: { thing: { type: Thing }, userErrors: userErrorsField } })),
            args: { input: { type: new GraphQLNonNull(input('MakeThingInput')) } },
          },
          sweepThings: { type: new GraphQLNonNull(new GraphQLObjectType({ name: 'SweepThingsPayload', fields: { swept: { type: GraphQLString }, userErrors: userErrorsField } })) },
          bareThing: { type: new GraphQLNonNull(Thing), args: { input: { type: new GraphQLNonNull(input('BareThingInput')) } } },
          sharedInput: {
            type: new GraphQLNonNull(new GraphQLObjectType({ name: 'SharedInputPayload', fields: { thing: { type: Thing }, userErrors: userErrorsField } })),
            args: { input: { type: new GraphQLNonNull(input('SomeoneElsesInput')) } },
          },
          looseArgs: {
            type: new GraphQLNonNull(new GraphQLObjectType({ name: 'LooseArgsPayload', fields: { thing: { type: Thing }, userErrors: userErrorsField } })),
            args: { name: { type: GraphQLString } },
          },
          noErrors: {
            type: new GraphQLNonNull(new GraphQLObjectType({ name: 'NoErrorsPayload', fields: { thing: { type: new GraphQLNonNull(Thing) } } })),
            args: { input: { type: new GraphQLNonNull(input('NoErrorsInput')) } },
          },
        },
      }),
    });
    expect(mutationShapeViolations(schema).sort()).toEqual(
      [
        'Mutation.bareThing: returns Thing!, not BareThingPayload!',
        'Mutation.sharedInput: takes (input: SomeoneElsesInput!), not (input: SharedInputInput!)',
        'Mutation.looseArgs: takes (name: String), not (input: LooseArgsInput!)',
        'NoErrorsPayload: has no userErrors: [UserError!]!',
        'NoErrorsPayload.thing: non-null, so a refusal cannot leave it null',
      ].sort(),
    );
  });
});

describe('schema conventions', () => {
  it('every field, argument and enum value of the built schema follows them', () => {
    expect(conventionViolations(buildSchema())).toEqual([]);
  });

  it('every exception says why and still names a field that would break a rule without it', () => {
    const schema = buildSchema();
    const unexcused = new Set(slotsOf(schema).filter((slot) => slot.type.name === 'String' && namesAClosedSet(slot.name)).map((slot) => slot.where));
    for (const [where, why] of Object.entries(EXCEPTIONS)) {
      expect(why.length, where).toBeGreaterThan(40);
      expect(unexcused.has(where), `${where} no longer needs an exception`).toBe(true);
    }
  });

  it('finds each kind of violation in a schema that has them', () => {
    const Colour = new GraphQLEnumType({ name: 'Colour', values: { deepRed: {}, BLUE: {}, LIGHT_GREEN_2: {} } });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          status: { type: new GraphQLNonNull(GraphQLString) },
          paymentStatus: { type: GraphQLString },
          roles: { type: new GraphQLList(GraphQLString) },
          deliveryKind: { type: GraphQLString, args: { channel: { type: GraphQLString } } },
          annualRate: { type: GraphQLFloat },
          annualRatePercent: { type: GraphQLFloat },
          details: { type: GraphQLString, description: 'The details as JSON.' },
          notes: { type: GraphQLString, description: 'Free text.' },
          colour: { type: Colour },
          statusText: { type: GraphQLString },
        },
      }),
    });
    expect(conventionViolations(schema).sort()).toEqual(
      [
        'Query.status: a closed set typed String',
        'Query.paymentStatus: a closed set typed String',
        'Query.roles: a closed set typed String',
        'Query.deliveryKind: a closed set typed String',
        'Query.deliveryKind(channel): a closed set typed String',
        'Query.annualRate: a rate not named …RatePercent',
        'Query.details: JSON inside a String',
        'Colour.deepRed: an enum value not in SCREAMING_SNAKE_CASE',
      ].sort(),
    );
  });
});
