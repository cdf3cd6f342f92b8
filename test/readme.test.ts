// What the README shows must work against the schema as it is: every GraphQL document in it, in a
// ```graphql block or inline in a shell command, parses and validates.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../src/graph/schema.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));

describe('the README', () => {
  it('its GraphQL documents validate against the schema, the loan schedule\'s query among them', () => {
    const documents = [
      ...blocks.filter((b) => b.lang === 'graphql').map((b) => b.text),
      ...blocks.filter((b) => b.lang === 'sh').flatMap((b) => [...b.text.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string)),
    ];
    expect(documents.some((text) => /account\b[\s\S]*instalments/.test(text))).toBe(true);
    expect(documents.length).toBeGreaterThanOrEqual(3);
    const schema = buildSchema();
    for (const text of documents) expect(validate(schema, parse(text)).map((e) => e.message), text).toEqual([]);
  });
});
