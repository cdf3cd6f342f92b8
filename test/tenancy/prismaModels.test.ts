// Every Prisma model matches the table the SQL migrations made: same columns, types and nullability.
// Models documented `/// scope: platform` are checked in the platform schema, the rest in a fresh tenant schema.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDMMF } from '@prisma/get-dmmf';
import type { Runtime } from '../../src/runtime.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';

let runtime: Runtime;
let tenantSchema: string;

beforeAll(async () => {
  runtime = await openTestRuntime();
  tenantSchema = (await createTenant(runtime, uniqueSlug('models'))).schemaName;
});
afterAll(async () => {
  await runtime.close();
});

interface Column {
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
  character_maximum_length: number | null;
}

type NativeType = [string, string[]] | null;

/** The Postgres column a Prisma scalar field declares, as information_schema describes it. */
function expectedColumn(type: string, nativeType: NativeType): Partial<Column> {
  const [native, args] = nativeType ?? [null, []];
  switch (native) {
    case 'Uuid': return { udt_name: 'uuid' };
    case 'Char': return { udt_name: 'bpchar', character_maximum_length: Number(args[0]) };
    case 'Date': return { udt_name: 'date' };
    case 'Timestamptz': return { udt_name: 'timestamptz', datetime_precision: Number(args[0] ?? 6) };
    case 'JsonB': return { udt_name: 'jsonb' };
    case 'Decimal': return { udt_name: 'numeric', numeric_precision: Number(args[0]), numeric_scale: Number(args[1]) };
    case null: break;
    default: throw new Error(`no mapping for native type ${native}: extend expectedColumn`);
  }
  switch (type) {
    case 'String': return { udt_name: 'text' };
    case 'Boolean': return { udt_name: 'bool' };
    case 'Int': return { udt_name: 'int4' };
    case 'BigInt': return { udt_name: 'int8' };
    case 'DateTime': return { udt_name: 'timestamp', datetime_precision: 3 };
    case 'Decimal': return { udt_name: 'numeric', numeric_precision: 65, numeric_scale: 30 };
    case 'Json': return { udt_name: 'jsonb' };
    case 'Bytes': return { udt_name: 'bytea' };
    default: throw new Error(`no mapping for Prisma type ${type}: extend expectedColumn`);
  }
}

describe('Prisma models match the migrated tables', async () => {
  const dmmf = await getDMMF({ datamodel: readFileSync('prisma/schema.prisma', 'utf8') });
  if (!('datamodel' in dmmf)) throw new Error(`prisma/schema.prisma does not parse: ${JSON.stringify(dmmf)}`);
  for (const model of dmmf.datamodel.models) {
    it(`${model.name}`, async () => {
      const schema = model.documentation?.includes('scope: platform') ? 'platform' : tenantSchema;
      const table = model.dbName ?? model.name;
      const { rows } = await runtime.pool.query<Column>(
        `SELECT column_name, udt_name, is_nullable, numeric_precision, numeric_scale, datetime_precision, character_maximum_length
           FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
        [schema, table],
      );
      const columns = new Map(rows.map((c) => [c.column_name, c]));
      const scalars = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
      const expectedNames = scalars.map((f) => f.dbName ?? f.name).sort();
      expect([...columns.keys()].sort(), `columns of ${schema}.${table}`).toEqual(expectedNames);
      for (const field of scalars) {
        const column = columns.get(field.dbName ?? field.name)!;
        const expected = expectedColumn(field.type, field.nativeType as NativeType);
        // A list is a Postgres array of its element type (text[] is `_text`), never NULL.
        const shape = field.isList ? { udt_name: `_${expected.udt_name}`, is_nullable: 'NO' } : { ...expected, is_nullable: field.isRequired ? 'NO' : 'YES' };
        expect(column, `${model.name}.${field.name}`).toMatchObject(shape);
      }
    });
  }
});
