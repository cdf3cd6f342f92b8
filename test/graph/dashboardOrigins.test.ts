// Embedded dashboards in the browser: a lender lists the web origins its dashboards are served from; browsers may
// call the API for that lender from those sites only (CORS), and a page elsewhere gets nothing, over HTTP or a socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { assertOriginAllowed, crossOriginOf, dashboardOriginsOf, originOf } from '../../src/crossOrigin.js';

const DASHBOARD = 'https://dashboard.lender-a.example.test';
const OTHER_DASHBOARD = 'https://dashboard.lender-b.example.test';
const SET = `mutation($input: SetDashboardOriginsInput!) { setDashboardOrigins(input: $input) { tenant { dashboardOrigins } ${USER_ERRORS} } }`;

let server: TestServer;
let lender: TenantRecord;
let otherLender: TenantRecord;
let admin: string;
let otherAdmin: string;

beforeAll(async () => {
  server = await startTestServer();
  [lender, otherLender] = await Promise.all([
    createTenant(server.runtime, uniqueSlug('cors-a'), { sandbox: true }),
    createTenant(server.runtime, uniqueSlug('cors-b'), { sandbox: true }),
  ]);
  [admin, otherAdmin] = await Promise.all([devToken(server.runtime, 'tenant-admin', lender.slug), devToken(server.runtime, 'tenant-admin', otherLender.slug)]);
});
afterAll(async () => {
  await server.close();
});

function preflight(origin: string): Promise<Response> {
  return fetch(server.gateway.graphqlUrl, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
}

function fromPage(origin: string, token: string): Promise<Response> {
  return fetch(server.gateway.graphqlUrl, {
    method: 'POST',
    headers: { origin, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ currentTenant { slug } }' }),
  });
}

describe('dashboard origins', () => {
  it('reads an origin as browsers send it, and never a wildcard, a path or `null`', () => {
    expect(originOf('https://Dashboard.Example.com')).toBe('https://dashboard.example.com');
    expect(originOf('https://dashboard.example.com:8443/')).toBe('https://dashboard.example.com:8443');
    expect(originOf('https://dashboard.example.com:443')).toBe('https://dashboard.example.com');
    for (const refused of ['*', 'null', 'https://*.example.com', 'https://example.com/app', 'ftp://example.com', 'https://user@example.com', 'example.com', 'https://example.com?x=1']) {
      expect(originOf(refused), refused).toBeNull();
    }
    // The API's own pages (the explorer) and a request addressed to the host it came from are not cross-origin.
    expect(crossOriginOf('http://127.0.0.1:4000', '127.0.0.1:4000', 'http://127.0.0.1:4000')).toBeNull();
    expect(crossOriginOf('https://api.lender.example', 'api.lender.example', 'http://127.0.0.1:4000')).toBeNull();
    expect(crossOriginOf(DASHBOARD, 'api.lender.example', 'https://api.lender.example')).toBe(DASHBOARD);
    expect(crossOriginOf(undefined, 'api.lender.example', 'https://api.lender.example')).toBeNull();
  });

  it('in production takes https origins only, and the machine\'s own over plain http; each refusal names the entry', () => {
    const production = (entries: string[]) => dashboardOriginsOf(entries, (i) => `input.origins[${i}]`, 'input.origins', false);
    expect(production(['https://dashboard.example.com', 'http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080']))
      .toEqual(['https://dashboard.example.com', 'http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080']);
    for (const [entries, index] of [[['http://dashboard.example.com'], 0], [['https://ok.example.com', 'http://10.0.0.5:8080'], 1], [['http://localhost.example.com'], 0]] as const) {
      let refused: unknown;
      try {
        production([...entries]);
      } catch (error) {
        refused = error;
      }
      expect(refused, entries.join()).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: `input.origins[${index}]` } });
      expect((refused as Error).message).toContain('https');
    }
    // An http origin listed before the rule (or outside production) is not honoured in production.
    expect(() => assertOriginAllowed('http://dashboard.example.com', { dashboardOrigins: ['http://dashboard.example.com'] }, false)).toThrow();
    expect(() => assertOriginAllowed('http://localhost:5173', { dashboardOrigins: ['http://localhost:5173'] }, false)).not.toThrow();
    expect(() => assertOriginAllowed('http://dashboard.example.com', { dashboardOrigins: ['http://dashboard.example.com'] }, true)).not.toThrow();
    // Outside production a plain http dashboard on another machine of the team is allowed.
    expect(dashboardOriginsOf(['http://dashboard.test:5173'], (i) => `${i}`, 'origins', true)).toEqual(['http://dashboard.test:5173']);
  });

  it('a tenant admin sets them; a bad entry is refused naming it and nothing is written; other roles may not', async () => {
    const refused = await gql(server.gateway, SET, { token: admin, variables: { input: { origins: [DASHBOARD, 'https://example.com/app'] } } });
    expect(userErrors(refused, 'setDashboardOrigins')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.origins[1]' })]);
    expect(await gql(server.gateway, '{ currentTenant { dashboardOrigins } }', { token: admin })).toMatchObject({ data: { currentTenant: { dashboardOrigins: [] } } });
    const tooMany = await gql(server.gateway, SET, { token: admin, variables: { input: { origins: Array.from({ length: 21 }, (_, i) => `https://d${i}.example.test`) } } });
    expect(userErrors(tooMany, 'setDashboardOrigins')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.origins' })]);
    const finance = await devToken(server.runtime, 'finance', lender.slug);
    expect(codes(await gql(server.gateway, SET, { token: finance, variables: { input: { origins: [DASHBOARD] } } }))).toEqual(['FORBIDDEN']);

    const set = await gql(server.gateway, SET, { token: admin, variables: { input: { origins: [DASHBOARD, `${DASHBOARD}/`] } } });
    expect(set.data!['setDashboardOrigins']).toEqual({ tenant: { dashboardOrigins: [DASHBOARD] }, userErrors: [] });
    const other = await gql(server.gateway, SET, { token: otherAdmin, variables: { input: { origins: [OTHER_DASHBOARD] } } });
    expect(other.data!['setDashboardOrigins'].tenant.dashboardOrigins).toEqual([OTHER_DASHBOARD]);
  });

  it('answers a listed origin\'s preflight and lets its page read the answer; refuses any other site', async () => {
    const allowed = await preflight(DASHBOARD);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('vary')).toContain('Origin');

    const foreign = await preflight('https://evil.example.test');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const answer = await fromPage(DASHBOARD, admin);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(await answer.json()).toMatchObject({ data: { currentTenant: { slug: lender.slug } } });
  });

  it('holds a page to its own lender\'s list: another lender\'s dashboard, or an unlisted site, gets FORBIDDEN and no data', async () => {
    // Lender B's dashboard is allowed by the preflight (some tenant lists it), but not for lender A's token.
    const crossed = await fromPage(OTHER_DASHBOARD, admin);
    expect(crossed.status).toBe(403);
    const body = await crossed.json() as { data?: unknown; errors: { extensions: Record<string, unknown> }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ORIGIN_NOT_ALLOWED' });
    expect(JSON.stringify(body)).not.toContain(otherLender.slug);

    const unlisted = await fromPage('https://evil.example.test', admin);
    expect(unlisted.status).toBe(403);
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();

    // Calls from servers (no Origin) and from the API's own pages are not browsers on another site.
    expect((await gql(server.gateway, '{ currentTenant { slug } }', { token: admin })).status).toBe(200);
    expect((await fromPage(new URL(server.gateway.graphqlUrl).origin, admin)).status).toBe(200);
  });

  it('holds the document routes to the same list: an unlisted site may neither upload nor download, a listed one may ask first', async () => {
    const nowhere = Buffer.from(`Application:${crypto.randomUUID()}`).toString('base64');
    const upload = (origin: string) => fetch(`${server.gateway.url}/applications/${encodeURIComponent(nowhere)}/documents`, {
      method: 'POST', headers: { authorization: `Bearer ${admin}`, origin, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n',
    });
    const unlisted = await upload('https://evil.example.test');
    expect(unlisted.status).toBe(403);
    expect(unlisted.headers.get('access-control-allow-origin')).toBeNull();
    expect(JSON.stringify(await unlisted.json())).toContain('ORIGIN_NOT_ALLOWED');
    const download = await fetch(`${server.gateway.url}/applications/documents/${encodeURIComponent(Buffer.from(`ApplicationDocument:${crypto.randomUUID()}`).toString('base64'))}`, {
      headers: { authorization: `Bearer ${admin}`, origin: OTHER_DASHBOARD },
    });
    expect(download.status).toBe(403);
    // The lender's own dashboard gets its preflight answered, the idempotency key among the headers it may send.
    const asked = await fetch(`${server.gateway.url}/applications/${encodeURIComponent(nowhere)}/documents`, {
      method: 'OPTIONS', headers: { origin: DASHBOARD, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, idempotency-key' },
    });
    expect(asked.status).toBe(204);
    expect(asked.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(asked.headers.get('access-control-allow-headers')).toContain('idempotency-key');
    // And past it, the route answers as it would anyone: no such application.
    expect((await upload(DASHBOARD)).status).not.toBe(403);
  });

  it('refuses a socket opened by a page from a site the lender does not list (CORS does not cover WebSockets)', async () => {
    const closeOf = (origin: string) => new Promise<{ code: number; reason: string; results: unknown[] }>((resolve) => {
      const results: unknown[] = [];
      const socket = new WebSocket(server.gateway.websocketUrl, 'graphql-transport-ws', { origin });
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } })));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        results.push(message);
        if (message.type === 'connection_ack') socket.close(1000, 'done');
      });
      socket.on('close', (code, reason) => resolve({ code, reason: String(reason), results }));
    });
    expect(await closeOf('https://evil.example.test')).toMatchObject({ code: 4403, reason: 'FORBIDDEN', results: [] });
    expect(await closeOf(OTHER_DASHBOARD)).toMatchObject({ code: 4403, reason: 'FORBIDDEN' });
    expect((await closeOf(DASHBOARD)).results).toEqual([expect.objectContaining({ type: 'connection_ack' })]);
  });

  it('a cleared list ends every browser call from those sites', async () => {
    const cleared = await gql(server.gateway, SET, { token: admin, variables: { input: { origins: [] } } });
    expect(cleared.data!['setDashboardOrigins'].tenant.dashboardOrigins).toEqual([]);
    expect((await fromPage(DASHBOARD, admin)).status).toBe(403);
    expect((await preflight(DASHBOARD)).status).toBe(403);
  });
});
