// The node ceiling counted while an answer is built: what a request's answer holds past the estimate made before
// it ran (which the real schema's bounded lists keep from happening) is refused, not answered in part.
import { describe, expect, it } from 'vitest';
import { GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, execute, parse } from 'graphql';
import { answerCeiling, countAnswerObjects } from '../../src/graph/answerCeiling.js';

const Item = new GraphQLObjectType({ name: 'Item', fields: { n: { type: GraphQLInt }, label: { type: GraphQLString, resolve: (item: { n: number }) => `#${item.n}` } } });
const items = (count: number) => Array.from({ length: count }, (_, n) => ({ n }));
// A thenable that is not a Promise, as Prisma's queries are.
const thenable = <T>(value: T) => ({ then: (resolve: (v: T) => unknown) => resolve(value) });

function schema() {
  return countAnswerObjects(new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        now: { type: new GraphQLList(Item), args: { count: { type: GraphQLInt } }, resolve: (_root, args: { count: number }) => items(args.count) },
        later: { type: new GraphQLList(Item), args: { count: { type: GraphQLInt } }, resolve: (_root, args: { count: number }) => thenable(items(args.count)) },
        one: { type: Item, resolve: () => Promise.resolve({ n: 1 }) },
        name: { type: GraphQLString, resolve: () => 'scalar' },
      },
    }),
  }));
}

describe('the answer ceiling', () => {
  const built = schema();

  it('counts objects and lists, at once or once they settle, and not scalars', async () => {
    const ceiling = answerCeiling(100, () => new Error('too large'));
    const result = await execute({ schema: built, document: parse('{ now(count: 3) { n label } later(count: 4) { n } one { n } name }'), contextValue: { answerCeiling: ceiling } });
    expect(result.errors).toBeUndefined();
    expect(ceiling.count).toBe(3 + 4 + 1);
    expect(ceiling.passed).toBeUndefined();
    // Only fields returning objects are wrapped: a scalar field keeps its own resolver.
    expect(built.getQueryType()!.getFields()['name']!.resolve!({}, {}, {}, undefined as never)).toBe('scalar');
    expect(built.getType('Item') && (built.getType('Item') as GraphQLObjectType).getFields()['n']!.resolve).toBeUndefined();
  });

  it('refuses once the count passes the ceiling, makes the refusal once, and resolves nothing after it', async () => {
    let made = 0;
    const refusal = new Error('the answer passed the node ceiling');
    const ceiling = answerCeiling(5, (count) => {
      made += 1;
      expect(count).toBe(6);
      return refusal;
    });
    const result = await execute({ schema: built, document: parse('{ now(count: 6) { n } later(count: 2) { n } one { n } }'), contextValue: { answerCeiling: ceiling } });
    expect(made).toBe(1);
    expect(ceiling.passed).toBe(refusal);
    expect(result.errors?.map((error) => error.message)).toEqual([refusal.message, refusal.message]);
    // What came after the ceiling was refused, never resolved: the later list was not counted.
    expect(ceiling.count).toBe(6);
  });

  it('counts a list returned through a thenable as its items, not as one', async () => {
    const ceiling = answerCeiling(3, () => new Error('too large'));
    const result = await execute({ schema: built, document: parse('{ later(count: 4) { n } }'), contextValue: { answerCeiling: ceiling } });
    expect(ceiling.count).toBe(4);
    expect(ceiling.passed).toBeDefined();
    // The list itself was answered (the gateway replaces the whole answer with the refusal; test/graph/exposure.test.ts).
    expect(result.data).toBeDefined();
  });

  it('leaves a caller without a ceiling (a subscription, a check run in-process) uncounted', async () => {
    const result = await execute({ schema: built, document: parse('{ now(count: 50) { n } }'), contextValue: {} });
    expect(result.errors).toBeUndefined();
    expect((result.data!['now'] as unknown[]).length).toBe(50);
  });
});
