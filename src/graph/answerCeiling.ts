// The node ceiling counted while an answer is built. The estimate made before a query runs is already a ceiling
// (every list has a bound: src/graph/limits.ts); this is the second line, should a list ever outgrow its bound.
// Only fields that return objects or lists of them are counted, each wrapped once when the schema is built: a
// scalar adds no object, and Apollo's per-field hook, which this replaces, ran on every field of every answer
// (a page of 20 loans resolves about 500; docs/performance.md).
import { defaultFieldResolver, getNamedType, isLeafType, isObjectType, type GraphQLSchema } from 'graphql';

/** A request's count of the objects its answer holds, against the ceiling. */
export interface AnswerCeiling<E extends Error = Error> {
  /** Throws the refusal once the ceiling has been passed: nothing more is resolved. */
  check(): void;
  /** Counts what a field returned (an object, or a list's items); false once the ceiling is passed. */
  add(result: unknown): boolean;
  readonly count: number;
  /** The refusal, once the ceiling has been passed. */
  readonly passed: E | undefined;
}

/**
 * A ceiling of `limit` objects; `refusal` is made once, when the count first passes it (the caller logs it and
 * answers with it instead of a partial answer).
 */
export function answerCeiling<E extends Error>(limit: number, refusal: (count: number) => E): AnswerCeiling<E> {
  return new Ceiling(limit, refusal);
}

/**
 * A class, not an object literal with getters: V8 gives every such literal a hidden class of its own, made in the old
 * generation and holding the getters' closures, which kept every request's ceiling (and what it reached) alive
 * until a full collection.
 */
class Ceiling<E extends Error> implements AnswerCeiling<E> {
  count = 0;
  passed: E | undefined;

  constructor(private readonly limit: number, private readonly refusal: (count: number) => E) {}

  check(): void {
    if (this.passed) throw this.passed;
  }

  add(result: unknown): boolean {
    if (result === null || result === undefined) return this.passed === undefined;
    this.count += Array.isArray(result) ? result.length : 1;
    if (this.count > this.limit && !this.passed) this.passed = this.refusal(this.count);
    return this.passed === undefined;
  }
}

/** The context's ceiling, when the request has one (an operation over HTTP); other callers are not counted. */
export interface CountedContext {
  answerCeiling?: AnswerCeiling;
}

const counted = new WeakSet<object>();

/** Wraps every field that returns objects so that what it returns counts against the request's ceiling. */
export function countAnswerObjects(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (isLeafType(getNamedType(field.type)) || counted.has(field)) continue;
      counted.add(field);
      const inner = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: CountedContext | undefined, info) => {
        const ceiling = context?.answerCeiling;
        if (!ceiling) return inner(source, args, context, info);
        ceiling.check();
        const result = inner(source, args, context, info);
        // Any thenable (Prisma's queries are thenables, not Promises) is counted once it settles.
        if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
          return Promise.resolve(result).then((value: unknown) => (ceiling.add(value), value));
        }
        ceiling.add(result);
        return result;
      };
    }
  }
  return schema;
}
