// Configuration is validated at start-up; every problem names its variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const PRODUCTION = {
  NODE_ENV: 'production',
  AUTH_ISSUER: 'https://id.example.test/realms/lendgraph',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  DATABASE_URL: 'postgresql://lendgraph@db.example.test:5432/lendgraph',
};

describe('configuration', () => {
  it('has working defaults: the embedded database and the development issuer', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config).toMatchObject({ PORT: 4000, devIssuer: true, PG_POOL_MAX: 10, MAX_QUERY_DEPTH: 12, MAX_QUERY_NODES: 10_000, MAX_PAGE_SIZE: 100 });
    expect(config.issuer).toBe('http://127.0.0.1:4000/dev-issuer');
    expect(config.jwksUrl).toBe('http://127.0.0.1:4000/dev-issuer/jwks');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ PG_POOL_MAX: '1' }, 'PG_POOL_MAX'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ MAX_QUERY_DEPTH: '1' }, 'MAX_QUERY_DEPTH'],
    [{ DEV_ISSUER: 'yes' }, 'DEV_ISSUER'],
    [{ NODE_ENV: 'production' }, 'DEV_ISSUER'],
    [{ DEV_ISSUER: 'false' }, 'AUTH_ISSUER'],
    [{ NODE_ENV: 'production', AUTH_ISSUER: 'https://id.example.test/realms/lendgraph' }, 'DATA_ENCRYPTION_KEY'],
    [{ DATA_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }, 'DATA_ENCRYPTION_KEY'],
    [{ WEBHOOK_MAX_ATTEMPTS: '0' }, 'WEBHOOK_MAX_ATTEMPTS'],
    [{ INTROSPECTION: 'everyone' }, 'INTROSPECTION'],
    [{ RATE_LIMIT_PER_MINUTE: '-1' }, 'RATE_LIMIT_PER_MINUTE'],
    [{ MAX_QUERY_TOKENS: '10' }, 'MAX_QUERY_TOKENS'],
    [{ HOST: '0.0.0.0' }, 'DEV_ISSUER_ALLOW_REMOTE'],
    [{ END_OF_DAY_POOL_SHARE: '0' }, 'END_OF_DAY_POOL_SHARE'],
    [{ END_OF_DAY_POOL_SHARE: '1.5' }, 'END_OF_DAY_POOL_SHARE'],
    [{ END_OF_DAY_TICK_SECONDS: '-1' }, 'END_OF_DAY_TICK_SECONDS'],
    [{ END_OF_DAY_MAX_DATES_PER_JOB: '0' }, 'END_OF_DAY_MAX_DATES_PER_JOB'],
    [{ END_OF_DAY_JOB_EXPIRE_SECONDS: '86400' }, 'END_OF_DAY_JOB_EXPIRE_SECONDS'],
    [{ METRICS_PORT: 'ninety' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ PORT: '9464' }, 'METRICS_PORT'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG'],
    [{ TENANT_DATABASES: 'main=postgresql://u:secret@db2/lendgraph' }, 'TENANT_DATABASES'],
    [{ TENANT_DATABASES: 'East=postgresql://u:secret@db2/lendgraph' }, 'TENANT_DATABASES'],
    [{ TENANT_DATABASES: 'postgresql://u:secret@db2/lendgraph' }, 'TENANT_DATABASES'],
    [{ TENANT_DATABASES: 'east=postgresql://u:secret@db2/a east=postgresql://u:secret@db3/b' }, 'TENANT_DATABASES'],
    [{ TENANT_DATABASES: 'east=https://db2.example.test/' }, 'TENANT_DATABASES'],
  ])('%j is refused naming %s', (env, variable) => {
    const found = problems(env);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(variable);
  });

  it('uses the identity provider\'s JWKS when AUTH_ISSUER is set', () => {
    const config = loadConfig({ ...PRODUCTION, NODE_ENV: 'production' });
    expect(config.devIssuer).toBe(false);
    expect(config.jwksUrl).toBe('https://id.example.test/realms/lendgraph/protocol/openid-connect/certs');
  });

  it('with KEYCLOAK_URL set, uses its Lendgraph realm as the issuer and turns the development issuer off', () => {
    const config = loadConfig({ KEYCLOAK_URL: 'http://127.0.0.1:8080/' });
    expect(config.devIssuer).toBe(false);
    expect(config.issuer).toBe('http://127.0.0.1:8080/realms/lendgraph');
    expect(config.jwksUrl).toBe('http://127.0.0.1:8080/realms/lendgraph/protocol/openid-connect/certs');
  });

  it('schedules end of day every minute, in a quarter of the pool, a week of dates per job', () => {
    expect(loadConfig({})).toMatchObject({ END_OF_DAY_TICK_SECONDS: 60, END_OF_DAY_POOL_SHARE: 0.25, END_OF_DAY_MAX_DATES_PER_JOB: 7, END_OF_DAY_RETRY_LIMIT: 5, END_OF_DAY_RETRY_DELAY_SECONDS: 60 });
    expect(loadConfig({ END_OF_DAY_TICK_SECONDS: '0', END_OF_DAY_POOL_SHARE: '0.5' })).toMatchObject({ END_OF_DAY_TICK_SECONDS: 0, END_OF_DAY_POOL_SHARE: 0.5 });
  });

  it('reads further databases for tenants as name=url pairs, and never repeats a URL (its password) in a refusal', () => {
    expect(loadConfig({}).TENANT_DATABASES).toBeUndefined();
    expect(loadConfig({ TENANT_DATABASES: 'east=postgresql://u:p@db2:5432/lendgraph, west=postgres://u:p@db3/lendgraph?sslmode=require' }).TENANT_DATABASES)
      .toEqual({ east: 'postgresql://u:p@db2:5432/lendgraph', west: 'postgres://u:p@db3/lendgraph?sslmode=require' });
    for (const value of ['main=postgresql://u:secret@db2/x', 'East=postgresql://u:secret@db2/x', 'postgresql://u:secret@db2/x', 'east=postgresql://u:secret@db2/x,east=postgresql://u:secret@db3/y']) {
      expect(problems({ TENANT_DATABASES: value }).join('\n')).not.toContain('secret');
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(4000);
  });

  it('refuses the embedded PostgreSQL in production, saying to set DATABASE_URL', () => {
    const { DATABASE_URL: _url, ...withoutDatabase } = PRODUCTION;
    const found = problems(withoutDatabase).join('\n');
    expect(found).toMatch(/DATABASE_URL: required in production.*embedded PostgreSQL.*set DATABASE_URL/);
    expect(problems(PRODUCTION)).toEqual([]);
    // Outside production the embedded database stays the default.
    expect(loadConfig({ NODE_ENV: 'development' }).DATABASE_URL).toBeUndefined();
  });

  it('lets the development issuer serve only on loopback unless DEV_ISSUER_ALLOW_REMOTE=true', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) expect(problems({ HOST: host })).toEqual([]);
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'api.example.test']) {
      expect(problems({ HOST: host }).join('\n')).toMatch(/DEV_ISSUER: .*not loopback.*DEV_ISSUER_ALLOW_REMOTE=true/);
    }
    expect(loadConfig({ HOST: '0.0.0.0', DEV_ISSUER_ALLOW_REMOTE: 'true' }).devIssuer).toBe(true);
    // With a real identity provider any HOST is fine.
    expect(problems({ HOST: '0.0.0.0', AUTH_ISSUER: 'https://id.example.test/realms/lendgraph' })).toEqual([]);
  });

  it('turns introspection off in production and keeps generous limits by default', () => {
    expect(loadConfig(PRODUCTION).INTROSPECTION).toBe('off');
    expect(loadConfig({ ...PRODUCTION, INTROSPECTION: 'staff' }).INTROSPECTION).toBe('staff');
    expect(loadConfig({})).toMatchObject({
      INTROSPECTION: 'public', MAX_QUERY_COST: 20_000, MAX_QUERY_ALIASES: 50, MAX_QUERY_DIRECTIVES: 50, MAX_QUERY_TOKENS: 5_000,
      RATE_LIMIT_PER_MINUTE: 6_000, RATE_LIMIT_ANONYMOUS_PER_MINUTE: 600,
    });
  });

  it('migrates at start-up by default except in production, where a separate job does; either way when told', () => {
    expect(loadConfig({}).MIGRATE_ON_START).toBe(true);
    expect(loadConfig(PRODUCTION).MIGRATE_ON_START).toBe(false);
    expect(loadConfig({ ...PRODUCTION, MIGRATE_ON_START: 'true' }).MIGRATE_ON_START).toBe(true);
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).MIGRATE_ON_START).toBe(false);
    expect(problems({ MIGRATE_ON_START: 'sometimes' })).toEqual([expect.stringMatching(/^MIGRATE_ON_START/)]);
  });
});
