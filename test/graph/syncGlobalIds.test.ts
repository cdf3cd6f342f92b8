// Every object's global id is answered without a promise when its id is known at once (src/graph/syncGlobalIds.ts),
// the same id the relay plugin's own field gave: graphql-js then answers the object's fields as it goes.
import { isObjectType, type GraphQLObjectType } from 'graphql';
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/graph/schema.js';
import '../../src/graph/syncGlobalIds.js';
import { globalIdOf } from '../../src/domain/globalId.js';

const schema = buildSchema();

/** A caller allowed every read of a tenant's, as the type's authorization asks for one. */
const context = { principal: { subject: 'test', roles: ['tenant-admin'], partner: null, clientId: null }, tenant: { slug: 'sync-ids' } };
const infoOf = (parentType: string) => ({ parentType: schema.getType(parentType), fieldName: 'id', path: { key: 'id', prev: undefined, typename: parentType }, schema });

describe('a node\'s global id', () => {
  it('is answered at once, and is the id the builder encodes, for every type under the Node interface', () => {
    const nodes = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node'));
    expect(nodes.length).toBeGreaterThan(10);
    const answered = nodes.map((type) => {
      try {
        return (type as import('graphql').GraphQLObjectType).getFields()['id']!.resolve!({ id: 'x' }, {}, context, infoOf(type.name) as never);
      } catch (error) {
        return error;
      }
    });
    // Refused or answered, never a promise: a type the caller may not read is refused at once too.
    expect(answered.filter((answer) => answer instanceof Promise).length).toBe(0);
    expect(answered.filter((answer) => typeof answer === 'string').length).toBeGreaterThan(10);
    for (const name of ['Loan', 'LoanProduct']) {
      const field = schema.getType(name) && isObjectType(schema.getType(name)) ? (schema.getType(name) as import('graphql').GraphQLObjectType).getFields()['id']! : undefined;
      const answer = field!.resolve!({ id: '3f1c2a9e-0d1b-4c57-9a8e-2b6f4d7c8e90' }, {}, context, infoOf(name) as never);
      expect(answer).not.toBeInstanceOf(Promise);
      expect(answer).toBe(globalIdOf(name, '3f1c2a9e-0d1b-4c57-9a8e-2b6f4d7c8e90'));
    }
  });

  it('still waits for an id that arrives as a promise', async () => {
    const field = (schema.getType('Loan') as import('graphql').GraphQLObjectType).getFields()['id']!;
    const answer = field.resolve!({ get id() { return Promise.resolve('later'); } }, {}, context, infoOf('Loan') as never);
    // The loan's own id resolver returns what the row holds; a thenable there is awaited, then encoded.
    expect(await answer).toBe(globalIdOf('Loan', 'later'));
  });
});

describe('any `t.globalID` field', () => {
  // A builder of its own, as the gateway's is made: the same plugins and an encoder of the builder's.
  const own = new SchemaBuilder<{ Context: object }>({
    plugins: [ScopeAuthPlugin, RelayPlugin],
    scopeAuth: { authScopes: () => ({}) },
    relay: { encodeGlobalID: (typename, id) => globalIdOf(typename, String(id)) },
  });
  const Thing = own.objectRef<{ id: string }>('Thing').implement({ fields: (t) => ({ name: t.exposeString('id') }) });
  own.queryType({
    fields: (t) => ({
      thing: t.field({ type: Thing, resolve: () => ({ id: 't' }) }),
      none: t.globalID({ nullable: true, resolve: () => null }),
      asText: t.globalID({ resolve: () => 'already-global' }),
      byRef: t.globalID({ resolve: () => ({ type: Thing, id: 7 }) }),
      byName: t.globalID({ resolve: () => ({ type: 'Thing', id: 'a' }) }),
      later: t.globalID({ resolve: () => Promise.resolve({ type: 'Thing', id: 'b' }) }),
      failing: t.globalID({ resolve: () => { throw new Error('no id'); } }),
    }),
  });
  const fields = (own.toSchema().getQueryType() as GraphQLObjectType).getFields();
  const resolve = (name: string) => fields[name]!.resolve!({}, {}, {}, {} as never);

  it('answers as the plugin does: nothing and text as they are, a type and id encoded, at once when known', async () => {
    expect(resolve('none')).toBeNull();
    expect(resolve('asText')).toBe('already-global');
    expect(resolve('byRef')).toBe(globalIdOf('Thing', '7'));
    expect(resolve('byName')).toBe(globalIdOf('Thing', 'a'));
    const later = resolve('later');
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toBe(globalIdOf('Thing', 'b'));
    // A resolver that throws is a field error either way: graphql-js catches it as it catches a rejection.
    expect(() => resolve('failing')).toThrow('no id');
    // The field's options reach the field as given (here, nullable).
    expect(fields['none']!.type.toString()).toBe('ID');
  });
});
