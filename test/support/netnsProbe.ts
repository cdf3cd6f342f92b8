// Run only inside a network namespace of its own whose one interface is loopback, carrying 10.0.0.1 and 8.8.8.8
// as extra loopback addresses (test/outbound/outbound.test.ts starts it with `unshare -n`): nothing here can reach a real
// network. Listens on 10.0.0.1:443 and 8.8.8.8:443, counts the connections each receives, and prints what the
// outbound client made of requests to them.
import { createServer, type Server } from 'node:net';
import { OutboundClient } from '../../src/outbound/client.js';

const accepted: Record<string, number> = { '10.0.0.1': 0, '8.8.8.8': 0 };
const servers: Server[] = [];
for (const address of Object.keys(accepted)) {
  const server = createServer((socket) => {
    accepted[address]! += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(443, address, resolve));
  servers.push(server);
}

const fakeDns = (hostname: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, addresses: { address: string; family: number }[]) => void) =>
  callback(null, [{ address: hostname.startsWith('inside.') ? '10.0.0.1' : '8.8.8.8', family: 4 }]);

const client = (allowPrivate: boolean) => new OutboundClient({
  policy: { allowPrivate, allowPlainHttp: false, extraPorts: [] }, connectTimeoutMs: 2_000, totalTimeoutMs: 3_000, maxResponseBytes: 1_024, resolve: fakeDns,
});

const results: Record<string, unknown> = {};
const strict = client(false);
for (const [name, url] of [
  ['literal', 'https://10.0.0.1/hook'],
  ['hex', 'https://0x0a000001/hook'],
  ['rebinding', 'https://inside.partner.example/hook'],
  ['public', 'https://outside.partner.example/hook'],
] as const) {
  const before = { ...accepted };
  const result = await strict.post(url, { 'content-type': 'application/json' }, '{}');
  results[name] = { result, connections: { '10.0.0.1': accepted['10.0.0.1']! - before['10.0.0.1']!, '8.8.8.8': accepted['8.8.8.8']! - before['8.8.8.8']! } };
}
// The control: with private destinations allowed the same request does reach 10.0.0.1, so the counts above
// would have shown a connection had one been made.
const lax = client(true);
const before = accepted['10.0.0.1']!;
results['allowed'] = { result: await lax.post('https://10.0.0.1/hook', {}, '{}'), connections: accepted['10.0.0.1']! - before };
await strict.close();
await lax.close();
for (const server of servers) server.close();
process.stdout.write(`${JSON.stringify(results)}\n`);
