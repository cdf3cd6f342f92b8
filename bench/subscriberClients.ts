// One client process of `npm run bench:subscribers`: holds its share of the gateway's WebSocket subscribers
// and timestamps every event each of them receives. It speaks graphql-ws directly over `ws`
// (connection_init → connection_ack → subscribe): a graphql-ws client object per socket would cost the
// client processes memory and CPU that the gateway then has to share its two cores with.
// Afterwards the same processes hold as many plain WebSockets to the floor (bench/socketFloor.ts) and timestamp
// its frames alike. Started by bench/subscribers.ts with an IPC channel; never run on its own.
import WebSocket from 'ws';

export type ToClients =
  | { type: 'open'; url: string; token: string; query: string; count: number; localAddress: string; ratePerSecond: number; inflight: number }
  // Plain WebSockets to the floor (bench/socketFloor.ts): held once open, no graphql-ws handshake.
  | { type: 'openPlain'; url: string; count: number; localAddress: string; ratePerSecond: number; inflight: number }
  | { type: 'collect'; cursor: string; timeoutMs: number }
  | { type: 'release'; count: number }
  | { type: 'status' };

export type FromClients =
  | { type: 'progress'; open: number; failed: number }
  | { type: 'opened'; open: number; failed: number; failures: Record<string, number>; handshakeMs: number[] }
  | { type: 'collected'; cursor: string; receivedAt: number[]; missing: number }
  | { type: 'released'; open: number }
  | { type: 'status'; open: number; lost: Record<string, number> };

// Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine.
const now = () => performance.timeOrigin + performance.now();
const HANDSHAKE_TIMEOUT_MS = 30_000;

interface Held {
  socket: WebSocket;
  /** When this subscriber received each event, by the event's cursor. */
  receivedAt: Map<string, number>;
}

const held = new Set<Held>();
const failures: Record<string, number> = {};
// Subscribers the server closed after they were established: a held subscriber must never end on its own.
const lost: Record<string, number> = {};
const count = (into: Record<string, number>, reason: string) => (into[reason] = (into[reason] ?? 0) + 1);
const send = (message: FromClients) => process.send!(message);

/** One subscriber: with `graphql`, the graphql-ws handshake and subscribe; without, a plain socket held once open. */
function openOne(url: string, localAddress: string, graphql?: { token: string; query: string }): Promise<number | null> {
  return new Promise((resolve) => {
    const began = now();
    const entry: Held = { socket: new WebSocket(url, graphql ? 'graphql-transport-ws' : [], { localAddress, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }), receivedAt: new Map() };
    const { socket } = entry;
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      count(failures, reason);
      socket.terminate();
      resolve(null);
    };
    const timer = setTimeout(() => fail('no connection_ack within 30 s'), HANDSHAKE_TIMEOUT_MS);
    socket.on('open', () => {
      if (graphql) {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${graphql.token}` } }));
        return;
      }
      settled = true;
      clearTimeout(timer);
      held.add(entry);
      resolve(now() - began);
    });
    socket.on('message', (data) => {
      const at = now();
      const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { events?: { cursor: string } } } };
      const cursor = message.payload?.data?.events?.cursor;
      if (message.type === 'next' && cursor) entry.receivedAt.set(cursor, at);
      else if (message.type === 'connection_ack' && !settled) {
        settled = true;
        clearTimeout(timer);
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: graphql?.query } }));
        held.add(entry);
        resolve(now() - began);
      } else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
      else if (message.type === 'next' || message.type === 'error' || message.type === 'complete') count(lost, `subscription ${message.type}: ${JSON.stringify(message.payload ?? null).slice(0, 120)}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => fail(`error ${error.code ?? error.message}`));
    socket.on('close', (code, reason) => {
      if (!settled) fail(`closed ${code} ${String(reason)}`.trim());
      else if (held.delete(entry)) count(lost, `closed ${code} ${String(reason)}`.trim());
    });
  });
}

async function open(request: Extract<ToClients, { type: 'open' | 'openPlain' }>): Promise<void> {
  const handshakeMs: number[] = [];
  let started = 0;
  let pending = 0;
  let failed = 0;
  // Paced in small ticks, with a cap on handshakes in flight, so a slow gateway slows us down instead of
  // piling up a backlog that would time out.
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((request.ratePerSecond * tickMs) / 1000));
  const progress = setInterval(() => send({ type: 'progress', open: held.size, failed }), 1_000);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      for (let i = 0; i < perTick && started < request.count && pending < request.inflight; i += 1) {
        started += 1;
        pending += 1;
        void openOne(request.url, request.localAddress, request.type === 'open' ? { token: request.token, query: request.query } : undefined).then((ms) => {
          pending -= 1;
          if (ms === null) failed += 1;
          else handshakeMs.push(ms);
          if (started === request.count && pending === 0) {
            clearInterval(tick);
            resolve();
          }
        });
      }
    }, tickMs);
  });
  clearInterval(progress);
  send({ type: 'opened', open: held.size, failed, failures, handshakeMs });
}

async function collect(request: Extract<ToClients, { type: 'collect' }>): Promise<void> {
  const deadline = Date.now() + request.timeoutMs;
  const complete = () => [...held].every((entry) => entry.receivedAt.has(request.cursor));
  while (!complete() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const receivedAt: number[] = [];
  let missing = 0;
  for (const entry of held) {
    const at = entry.receivedAt.get(request.cursor);
    if (at === undefined) missing += 1;
    else receivedAt.push(at);
  }
  send({ type: 'collected', cursor: request.cursor, receivedAt, missing });
}

function release(request: Extract<ToClients, { type: 'release' }>): void {
  let left = request.count;
  for (const entry of held) {
    if (left-- <= 0) break;
    held.delete(entry);
    entry.socket.close(1000, 'released');
  }
  send({ type: 'released', open: held.size });
}

process.on('message', (message: ToClients) => {
  if (message.type === 'open' || message.type === 'openPlain') void open(message);
  else if (message.type === 'collect') void collect(message);
  else if (message.type === 'release') release(message);
  else send({ type: 'status', open: held.size, lost });
});
// The orchestrator going away (even killed) ends this process and with it its sockets.
process.on('disconnect', () => process.exit(0));
