// A settle pass hands its events to the webhook dispatch, which joins them with the tenant's active endpoints. A
// tenant with none is asked that alone: its events are not written out and sent back to the server. (The deliveries
// made when endpoints are active are shown end to end in webhooks.test.ts.)
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dispatchWebhooks, type RetryPolicy } from '../../src/events/webhooks/dispatch.js';
import type { JobQueue } from '../../src/events/jobs.js';
import type { FeedEvent } from '../../src/events/outboxFeed.js';

const events: FeedEvent[] = [1, 2, 3].map((seq) => ({
  seq, id: `00000000-0000-4000-8000-00000000000${seq}`, type: 'loan.repaymentPosted', aggregateType: 'Loan', aggregateId: 'TG9hbjox', tenant: 'acme',
  partnerScope: null, occurredAt: new Date('2026-12-05T10:00:00Z'), schemaVersion: 1, payload: { amount: '1.00' },
}));

function recordingClient(answers: Record<string, unknown>[][]) {
  const sent: { name?: string; text: string; values?: unknown[] }[] = [];
  const client = {
    query: async (config: { name?: string; text: string; values?: unknown[] }) => {
      sent.push(config);
      return { rows: answers.shift() ?? [] };
    },
  };
  return { client: client as unknown as pg.PoolClient, sent };
}

const queue = new Proxy({}, { get: () => { throw new Error('the job queue is not to be touched'); } }) as JobQueue;
const policy: RetryPolicy = { maxAttempts: 5, retryDelaySeconds: 1, timeoutMs: 10_000, endpointConcurrency: 2, maxPauseSeconds: 600, disableAfterSeconds: 86_400 };

describe('webhook dispatch in a settle pass', () => {
  it('asks only whether an endpoint is active when none is, and sends none of the events', async () => {
    const { client, sent } = recordingClient([[{ any: false }]]);
    expect(await dispatchWebhooks(client, queue, 'tenant_acme', events, policy)).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('"tenant_acme".webhook_endpoint WHERE active');
    expect(sent[0]!.values ?? []).toEqual([]);
    expect(sent[0]!.name).toBeTruthy();
  });

  it('joins the events with the endpoints when one is active', async () => {
    const { client, sent } = recordingClient([[{ any: true }], []]);
    // No endpoint matched these events (the answer is empty), so no wake-up is queued.
    expect(await dispatchWebhooks(client, queue, 'tenant_acme', events, policy)).toBe(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.text).toContain('INSERT INTO "tenant_acme".webhook_delivery');
    // Two statements kept on the connection, under names of their own.
    expect(sent[0]!.name).toBeTruthy();
    expect(sent[1]!.name).toBeTruthy();
    expect(sent[1]!.name).not.toBe(sent[0]!.name);
    expect(JSON.parse(sent[1]!.values![0] as string)).toHaveLength(3);
  });

  it('sends nothing for a pass without events', async () => {
    const { client, sent } = recordingClient([]);
    expect(await dispatchWebhooks(client, queue, 'tenant_acme', [], policy)).toBe(0);
    expect(sent).toHaveLength(0);
  });
});
