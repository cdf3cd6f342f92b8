// examples/partner-client/ is the code a partner's developer copies: it must compile against the schema as it is
// and do what its README says. Its generated types are regenerated here and compared with the committed ones (a
// schema change that breaks the example fails this file), and its flow runs against a real server with webhook
// workers delivering to the example's own receiver on 127.0.0.1.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '@graphql-codegen/cli';
import { Webhook } from 'standardwebhooks';
import { codegenConfig } from '../../examples/partner-client/codegen.js';
import { LendgraphClient } from '../../examples/partner-client/src/client.js';
import { runPartnerFlow, submitApplication } from '../../examples/partner-client/src/flow.js';
import { sampleApplication } from '../../examples/partner-client/src/sampleApplication.js';
import { startWebhookReceiver } from '../../examples/partner-client/src/webhookReceiver.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';
import { ownDatabase, type OwnDatabase } from '../support/ownDatabase.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';

const committed = path.resolve(import.meta.dirname, '../../examples/partner-client/src/gql');

describe('the example\'s generated code', () => {
  it('equals what graphql-codegen generates from schema.graphql and src/operations.graphql now', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'partner-client-gql-'));
    try {
      await generate(codegenConfig(scratch), true);
      const files = (await readdir(scratch)).sort();
      expect(files).toEqual((await readdir(committed)).sort());
      expect(files).toContain('graphql.ts');
      for (const file of files) {
        const [fresh, kept] = await Promise.all([readFile(path.join(scratch, file), 'utf8'), readFile(path.join(committed, file), 'utf8')]);
        expect(kept, `examples/partner-client/src/gql/${file} is stale: run npm run codegen:example`).toBe(fresh);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the example\'s webhook receiver', () => {
  it('accepts a delivery signed with the trusted secret, once per webhook-id, and refuses a forged or early one', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
      const body = JSON.stringify({ id: 'evt-1', type: 'application.created', aggregateType: 'Application', aggregateId: 'QXBwbGljYXRpb246MQ==', tenant: 't', occurredAt: new Date().toISOString(), cursor: '7', schemaVersion: 1, data: {} });
      const signed = (key: string, id = 'evt-1') => {
        const timestamp = new Date();
        return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': new Webhook(key).sign(id, timestamp, body) };
      };
      const post = (headers: Record<string, string>) => fetch(receiver.url, { method: 'POST', headers, body }).then((r) => r.status);

      expect(await post(signed(secret))).toBe(503); // no secret trusted yet: the platform retries
      receiver.trust(secret);
      const forger = `whsec_${Buffer.from('b'.repeat(32)).toString('base64')}`;
      expect(await post(signed(forger))).toBe(401);
      expect(await post({ 'content-type': 'application/json', 'webhook-id': 'evt-1' })).toBe(401);
      expect(receiver.events).toEqual([]);

      expect(await post(signed(secret))).toBe(204);
      expect(await post(signed(secret))).toBe(204); // a retry: acknowledged, handled once
      expect(receiver.events.map((e) => [e.id, e.type])).toEqual([['evt-1', 'application.created']]);
      expect(receiver.refused).toBe(3);
    } finally {
      await receiver.close();
    }
  });
});

describe('the example\'s flow against a server', () => {
  let database: OwnDatabase;
  let server: TestServer;
  let tenant: TenantRecord;
  let token: string;

  beforeAll(async () => {
    // The example's receiver listens on 127.0.0.1 at a port the system picks: this server allows that
    // explicitly (off by default), and sends webhooks from a job queue of this file's own, so no other test
    // file's workers take its deliveries and its workers take no one else's; on a database of its own, so no other
    // file's server settles its commits onto another queue (test/support/ownDatabase.ts).
    database = await ownDatabase('partner_client');
    server = await startTestServer({
      DATABASE_URL: database.url,
      JOBS_ENABLED: 'true', CHECK_JOBS_ENABLED: 'false', JOBS_SCHEMA: 'pgboss_partner_client_test',
      OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
    });
    tenant = await createTenant(server.runtime, uniqueSlug('client'), { sandbox: true });
    const registered = await gql(server.gateway, 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } userErrors { code } } }', {
      token: await devToken(server.runtime, 'tenant-admin', tenant.slug),
      variables: { input: { code: 'acme', name: 'Acme Lending Marketplace', kind: 'ORIGINATION' } },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!['registerPartner']).toEqual({ partner: { code: 'acme' }, userErrors: [] });
    token = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'acme', kind: 'origination' } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('submits an application, sees its events live over graphql-ws and receives a verified webhook for it', async () => {
    const lines: string[] = [];
    const result = await runPartnerFlow({
      url: server.gateway.graphqlUrl,
      wsUrl: server.gateway.websocketUrl,
      token,
      application: sampleApplication('ACME-CLIENT-0001'),
      timeoutMs: 20_000,
      log: (line) => lines.push(line),
    });
    expect(result.application).toMatchObject({ externalReference: 'ACME-CLIENT-0001', amount: expect.stringMatching(/^5000(\.00)? USD$/), product: { code: 'PL-STD' } });
    expect(result.application.number).toMatch(/^A-\d{6}$/);
    expect(result.application.status).not.toBe('DRAFT');
    expect(result.webhookEndpoint).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/lendgraph\/webhooks$/), eventTypes: ['application.*'] });

    // Live: events about this application, in cursor order, the first of them its creation.
    expect(result.liveEvents.length).toBeGreaterThan(0);
    expect(result.liveEvents.every((e) => e.aggregateId === result.application.id && e.type.startsWith('application.'))).toBe(true);
    expect(result.liveEvents.map((e) => e.type)).toContain('application.created');
    const cursors = result.liveEvents.map((e) => BigInt(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    // Webhooks: only what the receiver verified with the endpoint's signing secret is in this list; each is one of
    // the events the subscription showed (the same id and cursor).
    expect(result.webhooks.length).toBeGreaterThan(0);
    const liveIds = new Map(result.liveEvents.map((e) => [e.id, e.cursor]));
    for (const delivered of result.webhooks) {
      expect(delivered).toMatchObject({ aggregateType: 'Application', aggregateId: result.application.id, tenant: tenant.slug });
      if (liveIds.has(delivered.id)) expect(delivered.cursor).toBe(liveIds.get(delivered.id));
    }
    expect(result.current).toMatchObject({ __typename: 'Application', id: result.application.id });
    expect(lines.some((line) => line.startsWith('webhook: ') && line.endsWith('signature verified'))).toBe(true);

    // The flow turned its endpoint off as it closed its receiver.
    const endpoint = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { active } } }', { token, variables: { id: result.webhookEndpoint.id } });
    expect(endpoint.data?.['node']).toEqual({ active: false });
  }, 60_000);

  it('answers a submission the checks cannot assess as typed refusals naming each missing field, and writes nothing', async () => {
    const client = new LendgraphClient({ url: server.gateway.graphqlUrl, token });
    const complete = sampleApplication('ACME-CLIENT-0002');
    const before = await server.runtime.tenantClients.forSchema(tenant.schemaName).application.count();
    const submission = await submitApplication(client, {
      ...complete,
      declaredMonthlyIncome: null,
      applicant: { kind: 'PERSON', legalName: 'Half Filled', email: 'half@example.com' },
    });
    expect(submission.ok).toBe(false);
    if (submission.ok) return;
    expect(submission.refusals.length).toBeGreaterThan(0);
    expect(submission.refusals.every((r) => r.kind === 'missing-information')).toBe(true);
    // One refusal per missing input, named by its path in the mutation's input (employer was sent).
    expect(submission.refusals.map((r) => (r.kind === 'missing-information' ? r.field : null))).toEqual([
      'input.applicant.dateOfBirth', 'input.applicant.identifiers', 'input.applicant.phone', 'input.applicant.address', 'input.declaredMonthlyIncome',
    ]);
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).application.count()).toBe(before);
    await client.close();
  });
});
