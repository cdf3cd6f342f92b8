// Every pool the platform makes (createPool) writes dates as ISO `YYYY-MM-DD` whatever the server, database or role
// defaults to: the gateway's rows, pg's parsers and Prisma's all read dates in that form. A database set to
// `SQL, DMY` is read correctly through such a pool, and options the URL (or else PGOPTIONS) gives are kept beside
// it; everything else in the URL is pg's to read, as before.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createPool } from '../../src/tenancy/database.js';

const DATABASE = `datestyle_${process.pid}`;
let admin: pg.Pool;
let url: URL;

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: inject('databaseUrl'), max: 1 });
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.query(`ALTER DATABASE ${DATABASE} SET DateStyle = 'SQL, DMY'`);
  url = new URL(inject('databaseUrl'));
  url.pathname = `/${DATABASE}`;
});
afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
});

const READ = `SELECT current_setting('DateStyle') AS style, '2026-12-05'::date::text AS text, '2026-12-05'::date AS date`;

describe('session settings of the platform\'s pools', () => {
  it('a database whose dates default to another style is still read in ISO', async () => {
    // Without the pin, as the database is set: the date's text is not ISO.
    const plain = new pg.Pool({ connectionString: url.toString(), max: 1 });
    const pinned = createPool(url.toString(), 1);
    try {
      const { rows: [asSet] } = await plain.query(READ);
      expect(asSet).toMatchObject({ style: 'SQL, DMY', text: '05/12/2026' });
      const { rows: [read] } = await pinned.query(READ);
      expect(read).toMatchObject({ style: 'ISO, YMD', text: '2026-12-05' });
      expect((read.date as Date).getFullYear()).toBe(2026);
      expect((read.date as Date).getMonth()).toBe(11);
      expect((read.date as Date).getDate()).toBe(5);
    } finally {
      await Promise.all([plain.end(), pinned.end()]);
    }
  });

  it('keeps the options the URL gives, and the URL\'s other settings', async () => {
    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c statement_timeout=4321');
    withOptions.searchParams.set('application_name', 'from-the-url');
    const pool = createPool(withOptions.toString(), 1, 'lendgraph-test');
    try {
      const { rows: [read] } = await pool.query(`SELECT current_setting('DateStyle') AS style, current_setting('statement_timeout') AS timeout,
        current_setting('application_name') AS name, current_database() AS database`);
      expect(read).toEqual({ style: 'ISO, YMD', timeout: '4321ms', name: 'from-the-url', database: DATABASE });
    } finally {
      await pool.end();
    }
  });

  it('takes PGOPTIONS when the URL gives no options, as pg does', async () => {
    const before = process.env['PGOPTIONS'];
    process.env['PGOPTIONS'] = '-c statement_timeout=1234';
    const pool = createPool(url.toString(), 1);
    try {
      const { rows: [read] } = await pool.query(`SELECT current_setting('DateStyle') AS style, current_setting('statement_timeout') AS timeout`);
      expect(read).toEqual({ style: 'ISO, YMD', timeout: '1234ms' });
    } finally {
      if (before === undefined) delete process.env['PGOPTIONS'];
      else process.env['PGOPTIONS'] = before;
      await pool.end();
    }
  });

  it('leaves the URL\'s SSL settings to pg: `ssl=no-verify` still asks for SSL, which this server does not offer', async () => {
    const withSsl = new URL(url);
    withSsl.searchParams.set('ssl', 'no-verify');
    const pool = createPool(withSsl.toString(), 1);
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/SSL/);
    } finally {
      await pool.end();
    }
  });
});
