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
  ])('%j is refused naming %s', (env, variable) => {
    const found = problems(env);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(variable);
  });

  it('uses the identity provider\'s JWKS when AUTH_ISSUER is set', () => {
    const config = loadConfig({ AUTH_ISSUER: 'https://id.example.test/realms/lendgraph', NODE_ENV: 'production', DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(config.devIssuer).toBe(false);
    expect(config.jwksUrl).toBe('https://id.example.test/realms/lendgraph/protocol/openid-connect/certs');
  });

  it('with KEYCLOAK_URL set, uses its Lendgraph realm as the issuer and turns the development issuer off', () => {
    const config = loadConfig({ KEYCLOAK_URL: 'http://127.0.0.1:8080/' });
    expect(config.devIssuer).toBe(false);
    expect(config.issuer).toBe('http://127.0.0.1:8080/realms/lendgraph');
    expect(config.jwksUrl).toBe('http://127.0.0.1:8080/realms/lendgraph/protocol/openid-connect/certs');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(4000);
  });
});
