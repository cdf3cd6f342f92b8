// What a partner does on day one, as one function: register a webhook endpoint, follow its applications live,
// submit one, and see it arrive both ways — the subscription and a signed webhook.
import { randomUUID } from 'node:crypto';
import { LendgraphClient } from './client.js';
import {
  DeactivateWebhookDocument,
  FollowApplicationsDocument,
  LatestEventCursorDocument,
  ReadApplicationDocument,
  RegisterWebhookDocument,
  SubmitApplicationDocument,
  type ApplicationSummaryFragment,
  type CreateApplicationInput,
  type FollowApplicationsSubscription,
  type ReadApplicationQuery,
} from './gql/graphql.js';
import { describeRefusal, refusalsOf, type Refusal } from './refusals.js';
import { startWebhookReceiver, type WebhookEvent } from './webhookReceiver.js';

export type LiveEvent = FollowApplicationsSubscription['events'];

export type Submission =
  | { ok: true; application: ApplicationSummaryFragment }
  | { ok: false; refusals: Refusal[] };

/** createApplication, its answer as a typed value: the application, or why it was refused (nothing was written). */
export async function submitApplication(client: LendgraphClient, input: CreateApplicationInput): Promise<Submission> {
  const { createApplication } = await client.request(SubmitApplicationDocument, { input });
  if (createApplication.application && createApplication.userErrors.length === 0) return { ok: true, application: createApplication.application };
  return { ok: false, refusals: refusalsOf(createApplication.userErrors) };
}

/** The application as it is now, or null when this partner may not see it. */
export async function readApplication(client: LendgraphClient, id: string): Promise<ApplicationSummaryFragment | null> {
  const { node } = await client.request(ReadApplicationDocument, { id });
  return node && isApplication(node) ? node : null;
}

type NodeAnswer = NonNullable<ReadApplicationQuery['node']>;
/** node(id:) answers any kind of object; the document selects fields only on an Application. */
function isApplication(node: NodeAnswer): node is Extract<NodeAnswer, { __typename: 'Application' }> {
  return node.__typename === 'Application';
}

export class RefusedError extends Error {
  constructor(readonly operation: string, readonly refusals: Refusal[]) {
    super(`${operation} refused: ${refusals.map(describeRefusal).join('; ')}`);
    this.name = 'RefusedError';
  }
}

export interface PartnerFlowOptions {
  /** The API over HTTP, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  /** The API over WebSocket; derived from `url` when absent. */
  wsUrl?: string;
  /** The partner's bearer token. */
  token: string;
  /** Where the webhook receiver listens (127.0.0.1 and a port the system picks unless told). */
  receiverHost?: string;
  receiverPort?: number;
  /**
   * The URL to register when the receiver is reached through something else (a tunnel, a proxy with TLS);
   * the receiver's own URL otherwise.
   */
  publicWebhookUrl?: string;
  /** The application to submit. */
  application: CreateApplicationInput;
  /** How long to wait for the events and the webhook (default 20 s). */
  timeoutMs?: number;
  /** Progress, one line at a time. */
  log?: (line: string) => void;
}

export interface PartnerFlowResult {
  application: ApplicationSummaryFragment;
  /** The application as read back with node(id:) once both feeds had shown it. */
  current: ApplicationSummaryFragment | null;
  webhookEndpoint: { id: string; url: string; eventTypes: string[] };
  /** Events about the application that arrived over the subscription. */
  liveEvents: LiveEvent[];
  /** Verified webhook deliveries about the application. */
  webhooks: WebhookEvent[];
}

export async function runPartnerFlow(options: PartnerFlowOptions): Promise<PartnerFlowResult> {
  const log = options.log ?? (() => {});
  const client = new LendgraphClient({ url: options.url, token: options.token, ...(options.wsUrl ? { wsUrl: options.wsUrl } : {}) });
  const receiver = await startWebhookReceiver({ host: options.receiverHost ?? '127.0.0.1', port: options.receiverPort ?? 0 });
  const live: LiveEvent[] = [];
  let endpointId: string | undefined;
  let stopFollowing = () => {};
  try {
    // 1. The endpoint, with the secret that signs its deliveries: shown once, so the receiver takes it at once.
    const { registerWebhookEndpoint: registered } = await client.request(RegisterWebhookDocument, {
      input: { url: options.publicWebhookUrl ?? receiver.url, eventTypes: ['application.*'], idempotencyKey: `partner-client-hook-${randomUUID()}` },
    });
    if (!registered.webhookEndpoint || !registered.signingSecret) throw new RefusedError('registerWebhookEndpoint', refusalsOf(registered.userErrors));
    endpointId = registered.webhookEndpoint.id;
    receiver.trust(registered.signingSecret);
    log(`webhook endpoint ${registered.webhookEndpoint.id} registered for ${registered.webhookEndpoint.url}`);

    // 2. Follow from where the stream stands now: everything committed after this cursor arrives, in order,
    // even if it commits before the socket is open.
    const { events } = await client.request(LatestEventCursorDocument, {});
    const after = events.edges[0]?.cursor ?? '0';
    const following = client.subscribe(FollowApplicationsDocument, { after }, ({ events: event }) => {
      live.push(event);
      log(`live: ${event.type} (cursor ${event.cursor})`);
    });
    stopFollowing = following.stop;

    // 3. The application.
    const submission = await submitApplication(client, options.application);
    if (!submission.ok) throw new RefusedError('createApplication', submission.refusals);
    const { application } = submission;
    log(`application ${application.number} submitted: ${application.status}`);

    // 4. Both feeds show it: the subscription, and a webhook whose signature checked out.
    const about = <T extends { aggregateId: string }>(list: T[]) => list.filter((e) => e.aggregateId === application.id);
    const waiting = new AbortController();
    try {
      await Promise.race([
        waitFor(() => about(live).length > 0 && about(receiver.events).length > 0, options.timeoutMs ?? 20_000, waiting.signal),
        following.done.then(() => { throw new Error('the subscription ended early'); }),
      ]);
    } finally {
      waiting.abort();
    }
    for (const event of about(receiver.events)) log(`webhook: ${event.type} (cursor ${event.cursor}), signature verified`);

    const current = await readApplication(client, application.id);
    return {
      application,
      current,
      webhookEndpoint: { id: registered.webhookEndpoint.id, url: registered.webhookEndpoint.url, eventTypes: registered.webhookEndpoint.eventTypes },
      liveEvents: about(live),
      webhooks: about(receiver.events),
    };
  } finally {
    stopFollowing();
    // The receiver goes away with this function, so its endpoint stops receiving too.
    if (endpointId) await client.request(DeactivateWebhookDocument, { input: { endpointId } }).catch(() => {});
    await client.close();
    await receiver.close();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && !signal.aborted) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
