// The outbound client and its destination policy: a table of URLs (every numeric spelling of an address, IPv6
// forms, ports, names) refused or allowed as written; names resolving inside refused before any socket opens (a
// fake resolver plays DNS rebinding); timeouts, the response cap and redirects measured against receivers on
// 127.0.0.1; and, inside a network namespace with only loopback, that a refused destination never sees a
// connection while an allowed one does.
import { execFile } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { describeResult, OutboundClient, refusedConnection, type OutboundOptions } from '../../src/outbound/client.js';
import { checkDestination, DestinationRefused, parsePortList, type DestinationPolicy } from '../../src/outbound/destination.js';
import { destinationPolicy } from '../../src/outbound/settings.js';

const DEVELOPMENT: DestinationPolicy = { allowPrivate: false, allowPlainHttp: true, extraPorts: [] };
const PRODUCTION: DestinationPolicy = { allowPrivate: false, allowPlainHttp: false, extraPorts: [] };
const LOCAL_RECEIVERS: DestinationPolicy = { allowPrivate: true, allowPlainHttp: true, extraPorts: [[1024, 65535]] };

function refusal(url: string, policy: DestinationPolicy): string | null {
  try {
    checkDestination(url, policy);
    return null;
  } catch (error) {
    if (error instanceof DestinationRefused) return error.reason;
    throw error;
  }
}

// Every spelling of an internal address WHATWG URL accepts, and IPv6 forms that carry one.
const REFUSED: [string, RegExp][] = [
  ['http://10.0.0.1:6379/', /port 443 or 80/],
  ['https://10.0.0.1/', /private/],
  ['https://10.255.255.255/', /private/],
  ['https://172.16.0.1/', /private/],
  ['https://172.31.255.255/', /private/],
  ['https://192.168.1.1/', /private/],
  ['https://127.0.0.1/', /loopback/],
  ['https://127.255.255.254/', /loopback/],
  ['https://0x7f000001/', /loopback/],
  ['https://0X7F000001/', /loopback/],
  ['https://2130706433/', /loopback/],
  ['https://0177.0.0.1/', /loopback/],
  ['https://017700000001/', /loopback/],
  ['https://127.1/', /loopback/],
  ['https://127.0.1/', /loopback/],
  ['https://0x7f.1/', /loopback/],
  ['https://0x7f.0.0.1/', /loopback/],
  ['https://0x7f.0x0.0x0.0x1/', /loopback/],
  ['https://127.0.0.1./', /loopback/],
  ['https://167772161/', /private/],
  ['https://0xa000001/', /private/],
  ['https://012.0.0.1/', /private/],
  ['https://0/', /unspecified/],
  ['https://0.0.0.0/', /unspecified/],
  ['https://169.254.169.254/latest/meta-data/', /metadata/],
  ['https://2852039166/latest/meta-data/', /metadata/],
  ['https://0xa9fea9fe/', /metadata/],
  ['https://169.254.1.1/', /link-local/],
  ['https://100.64.0.1/', /carrier-grade NAT/],
  ['https://100.127.255.254/', /carrier-grade NAT/],
  ['https://224.0.0.1/', /multicast/],
  ['https://255.255.255.255/', /broadcast/],
  ['https://240.0.0.1/', /special-purpose/],
  ['https://192.0.2.1/', /special-purpose/],
  ['https://[::1]/', /loopback/],
  ['https://[::1]:22/', /port 443/],
  ['https://[0:0:0:0:0:0:0:1]/', /loopback/],
  ['https://[::]/', /unspecified/],
  ['https://[fe80::1]/', /link-local/],
  ['https://[febf::1]/', /link-local/],
  ['https://[fc00::1]/', /unique-local/],
  ['https://[fd12:3456::1]/', /unique-local/],
  ['https://[::ffff:127.0.0.1]/', /IPv4-mapped/],
  ['https://[::ffff:7f00:1]/', /IPv4-mapped/],
  ['https://[::ffff:10.0.0.1]/', /IPv4-mapped/],
  ['https://[::ffff:8.8.8.8]/', /IPv4-mapped/],
  ['https://[::127.0.0.1]/', /IPv4/],
  ['https://[::808:808]/', /IPv4-compatible/],
  ['https://[ff02::1]/', /multicast/],
  ['https://[64:ff9b::a00:1]/', /special-purpose/],
  ['https://[2002:a00:1::]/', /special-purpose/],
  ['https://[2001:db8::1]/', /special-purpose/],
  ['https://[fd00:ec2::254]/', /metadata/],
  ['https://localhost/', /this machine/],
  ['https://LOCALHOST./', /this machine/],
  ['https://api.localhost/', /this machine/],
  ['https://metadata.google.internal/computeMetadata/v1/', /metadata/],
  ['https://metadata/', /metadata/],
  ['https://instance-data.ec2.internal/', /metadata/],
  ['https://redis/', /internal host name/],
  ['https://db.internal/', /internal host name/],
  ['https://printer.local/', /internal host name/],
  ['https://router.home.arpa/', /internal host name/],
  ['https://partner.example:22/', /port 443 or 80/],
  ['https://partner.example:8443/', /OUTBOUND_ALLOWED_PORTS/],
  ['http://partner.example:6379/', /port 443 or 80/],
  ['ftp://partner.example/', /http or https/],
  ['file:///etc/passwd', /http or https/],
  ['gopher://partner.example:70/', /http or https/],
  ['https://user:pw@partner.example/', /credentials/],
  ['not a url', /absolute URL/],
];

const ALLOWED = [
  'https://partner.example/hooks/lendgraph',
  'https://hooks.partner.example:443/x?y=1',
  'http://partner.example/hooks',
  'http://partner.example:80/hooks',
  'https://8.8.8.8/',
  'https://134744072/',
  'https://[2606:4700:4700::1111]/',
  'https://xn--bcher-kva.example/',
];

describe('destination policy, as written', () => {
  for (const [url, reason] of REFUSED) {
    it(`refuses ${url}`, () => {
      expect(refusal(url, DEVELOPMENT)).toMatch(reason);
      expect(refusal(url, PRODUCTION)).not.toBeNull();
    });
  }

  it('allows public addresses and names on 443 (and 80 with plain http)', () => {
    for (const url of ALLOWED) expect(refusal(url, DEVELOPMENT), url).toBeNull();
    for (const url of ALLOWED.filter((u) => u.startsWith('https:'))) expect(refusal(url, PRODUCTION), url).toBeNull();
    expect(refusal('http://partner.example/hooks', PRODUCTION)).toBe('url must be https');
    expect(refusal('https://partner.example:80/hooks', PRODUCTION)).toMatch(/port 443;/);
  });

  it('names the setting for local receivers when it refuses an internal destination', () => {
    for (const url of ['https://10.0.0.1/', 'https://[::1]/', 'https://localhost/', 'https://redis/', 'https://100.64.0.1/']) {
      expect(refusal(url, DEVELOPMENT), url).toContain('OUTBOUND_ALLOW_PRIVATE_DESTINATIONS=true');
    }
    // Metadata services are never a receiver: no setting is offered.
    expect(refusal('https://169.254.169.254/', DEVELOPMENT)).not.toContain('OUTBOUND_ALLOW_PRIVATE_DESTINATIONS');
  });

  it('adds configured ports and allows internal destinations only with the explicit setting, metadata never', () => {
    expect(refusal('https://partner.example:8443/', { ...PRODUCTION, extraPorts: parsePortList('8443') })).toBeNull();
    expect(refusal('https://partner.example:9005/', { ...PRODUCTION, extraPorts: parsePortList('8443, 9000-9010') })).toBeNull();
    expect(refusal('https://partner.example:9011/', { ...PRODUCTION, extraPorts: parsePortList('8443,9000-9010') })).not.toBeNull();
    for (const bad of ['0', '70000', '9010-9000', 'http', '1-2-3']) expect(() => parsePortList(bad), bad).toThrow();
    for (const url of ['http://127.0.0.1:3000/hook', 'http://localhost:3000/', 'https://10.0.0.1/', 'https://[::1]/', 'https://redis/', 'https://[::ffff:127.0.0.1]/']) {
      expect(refusal(url, LOCAL_RECEIVERS), url).toBeNull();
    }
    for (const url of ['https://169.254.169.254/', 'https://metadata.google.internal/', 'https://[fd00:ec2::254]/', 'https://224.0.0.1/', 'https://0.0.0.0/', 'https://255.255.255.255/']) {
      expect(refusal(url, LOCAL_RECEIVERS), url).not.toBeNull();
    }
  });

  it('keeps private destinations off by default in every mode', () => {
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://lendgraph@db.example.test:5432/lendgraph', AUTH_ISSUER: 'https://issuer.example/realms/x', DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') };
    for (const env of [{ NODE_ENV: 'development' }, { NODE_ENV: 'test' }, production]) {
      const config = loadConfig(env);
      expect(config.OUTBOUND_ALLOW_PRIVATE_DESTINATIONS, env.NODE_ENV).toBe(false);
      expect(destinationPolicy(config)).toMatchObject({ allowPrivate: false, extraPorts: [], allowPlainHttp: env.NODE_ENV !== 'production' });
    }
    expect(loadConfig({ OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '8443,9000-9010' })).toMatchObject({
      OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: true, OUTBOUND_ALLOWED_PORTS: [[8443, 8443], [9000, 9010]],
    });
    expect(() => loadConfig({ OUTBOUND_ALLOWED_PORTS: '99999' })).toThrow(/OUTBOUND_ALLOWED_PORTS/);
  });
});

// Receivers on 127.0.0.1, one behaviour per path.
let receiver: Server;
let port: number;
const connections: Socket[] = [];
let requests = 0;
let closer: ReturnType<typeof createTcpServer>;
let closerPort: number;
let unusedPort: number;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    requests += 1;
    request.resume();
    switch (request.url) {
      case '/ok': response.end('fine'); break;
      case '/unavailable': response.writeHead(503).end('later'); break;
      case '/redirect': response.writeHead(302, { location: `http://127.0.0.1:${port}/ok?followed=1` }).end(); break;
      // A gigabyte announced and streamed as fast as the socket takes it.
      case '/gigabyte': {
        response.writeHead(200, { 'content-length': String(1024 ** 3) });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = () => { while (response.write(chunk)); };
        response.on('drain', pump);
        pump();
        break;
      }
      // Streams forever without announcing a length.
      case '/endless': {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 121);
        const pump = () => { while (!response.destroyed && response.write(chunk)); };
        response.on('drain', pump);
        pump();
        break;
      }
      // Answers, then trickles a byte now and then, never finishing.
      case '/trickle': {
        response.writeHead(200);
        const timer = setInterval(() => response.write('.'), 200);
        response.on('close', () => clearInterval(timer));
        break;
      }
      // Never answers at all.
      case '/silent': break;
      default: response.writeHead(404).end();
    }
  });
  receiver.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
  // Accepts a connection and closes it without a word.
  closer = createTcpServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
  closerPort = (closer.address() as AddressInfo).port;
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  unusedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(async () => {
  for (const socket of connections) socket.destroy();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await new Promise<void>((resolve) => closer.close(() => resolve()));
});

const options = (policy: DestinationPolicy, extra: Partial<OutboundOptions> = {}): OutboundOptions => ({
  policy, connectTimeoutMs: 1_000, totalTimeoutMs: 2_000, maxResponseBytes: 16 * 1024, ...extra,
});

/** Every socket Node creates while `work` runs (node:net publishes each one on this channel). */
async function socketsDuring<T>(work: () => Promise<T>): Promise<{ value: T; sockets: number }> {
  let sockets = 0;
  const count = () => { sockets += 1; };
  const created = channel('net.client.socket');
  created.subscribe(count);
  try {
    return { value: await work(), sockets };
  } finally {
    created.unsubscribe(count);
  }
}

describe('the outbound client', () => {
  it('refuses an internal destination before opening any socket, in every spelling', async () => {
    // The receiver listens on an allowed port: only the address stands in the way.
    const client = new OutboundClient(options({ ...DEVELOPMENT, extraPorts: [[port, port]] }));
    const before = requests;
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost', 'LocalHost.']) {
      const { value, sockets } = await socketsDuring(() => client.post(`http://${host}:${port}/ok`, {}, '{}'));
      expect(value, host).toMatchObject({ outcome: 'refused' });
      expect(describeResult(value), host).toBe('destination refused by policy');
      expect(sockets, host).toBe(0);
    }
    expect(requests).toBe(before);
    expect(client.socketsConnected).toBe(0);
    await client.close();
  });

  it('resolves names only to check every address, and refuses a name that resolves inside (DNS rebinding)', async () => {
    const asked: string[] = [];
    let answer = ['93.184.216.34'];
    const client = new OutboundClient(options({ ...DEVELOPMENT, extraPorts: [[port, port]] }, {
      resolve: (hostname, _options, callback) => {
        asked.push(hostname);
        callback(null, answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
      },
    }));
    // Registered while it pointed outside; re-pointed inside before delivery.
    expect(refusal(`http://hooks.partner.example:${port}/ok`, { ...DEVELOPMENT, extraPorts: [[port, port]] })).toBeNull();
    // 127.0.0.1 is where the receiver listens, on this very port: had the name been followed, it would have
    // seen the connection. (Node creates the socket object before resolving; it never connects.)
    const seen = connections.length;
    for (const inside of [['127.0.0.1'], ['10.0.0.7'], ['169.254.169.254'], ['::1'], ['::ffff:10.0.0.7'], ['fd00::1'], ['93.184.216.34', '10.0.0.7']]) {
      answer = inside;
      const value = await client.post(`http://hooks.partner.example:${port}/ok`, {}, '{}');
      expect(value, inside.join()).toMatchObject({ outcome: 'refused' });
    }
    expect(connections.length).toBe(seen);
    expect(client.socketsConnected).toBe(0);
    expect(asked).toEqual(Array(7).fill('hooks.partner.example'));
    // Internal names are refused without asking the resolver at all.
    expect(await client.post(`http://metadata.google.internal:${port}/`, {}, '{}')).toMatchObject({ outcome: 'refused' });
    expect(asked).toHaveLength(7);
    await client.close();
  });

  it('says only what a receiver owner needs: answered, timed out, could not connect (refused and closed alike)', async () => {
    const client = new OutboundClient(options(LOCAL_RECEIVERS));
    const said = async (url: string) => describeResult(await client.post(url, { 'content-type': 'application/json' }, '{}'));
    expect(await said(`http://127.0.0.1:${port}/ok`)).toBeNull();
    expect(await said(`http://127.0.0.1:${port}/unavailable`)).toBe('answered 503');
    expect(await said(`http://127.0.0.1:${port}/nowhere`)).toBe('answered 404');
    // Nothing listening, and a listener that hangs up: the same words, nothing of the network's own.
    expect(await said(`http://127.0.0.1:${unusedPort}/`)).toBe('could not connect');
    expect(await said(`http://127.0.0.1:${closerPort}/`)).toBe('could not connect');
    expect(await said(`http://127.0.0.1:${port}/silent`)).toBe('timed out');
    // Names reserved never to exist (example domains in tests and docs) are not even looked up.
    expect(describeResult(await client.post('https://hooks.partner.example.test/', {}, '{}'))).toBe('could not connect');
    await client.close();
  });

  it('judges the address a connection actually reached (the check after connecting)', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    try {
      expect(refusedConnection(socket, DEVELOPMENT)).toMatch(/loopback/);
      expect(refusedConnection(socket, LOCAL_RECEIVERS)).toBeNull();
    } finally {
      socket.destroy();
    }
    const unconnected = connect({ port: unusedPort, host: '127.0.0.1' }).on('error', () => undefined);
    expect(refusedConnection(unconnected, LOCAL_RECEIVERS)).toMatch(/unknown/);
    unconnected.destroy();
  });

  it('does not follow redirects', async () => {
    const client = new OutboundClient(options(LOCAL_RECEIVERS));
    const before = requests;
    expect(await client.post(`http://127.0.0.1:${port}/redirect`, {}, '{}')).toEqual({ outcome: 'answered', status: 302 });
    expect(requests - before).toBe(1);
    await client.close();
  });

  it('holds a request no longer than the total timeout, whatever the receiver sends (measured)', async () => {
    const totalTimeoutMs = 2_000;
    const client = new OutboundClient(options(LOCAL_RECEIVERS, { totalTimeoutMs }));
    const figures: Record<string, number> = {};
    for (const [path, expected] of [
      ['/gigabyte', { outcome: 'answered', status: 200 }],
      ['/endless', { outcome: 'answered', status: 200 }],
      ['/trickle', { outcome: 'answered', status: 200 }],
      ['/silent', { outcome: 'timedOut' }],
    ] as const) {
      const started = performance.now();
      expect(await client.post(`http://127.0.0.1:${port}${path}`, {}, '{}'), path).toEqual(expected);
      figures[path] = Math.round(performance.now() - started);
      // Generous slack for a loaded machine; the figure itself is printed for the record.
      expect(figures[path], path).toBeLessThan(totalTimeoutMs + 3_000);
    }
    // The gigabyte is announced: the client drops it at once rather than read 16 KiB of it.
    expect(figures['/gigabyte']).toBeLessThan(totalTimeoutMs);
    console.log(`outbound client, total timeout ${totalTimeoutMs} ms, cap 16 KiB: ${JSON.stringify(figures)} (ms per request)`);
    await client.close();
  });
});

const run = promisify(execFile);

describe('inside a network namespace with only loopback', () => {
  it('never connects to a refused destination; the same request with private destinations allowed does connect', async () => {
    // 10.0.0.1 and 8.8.8.8 are added to the namespace's own loopback: no packet can leave it.
    const script = 'ip link set lo up && ip addr add 10.0.0.1/32 dev lo && ip addr add 8.8.8.8/32 dev lo && exec node --import tsx test/support/netnsProbe.ts';
    const { stdout } = await run('unshare', ['-n', 'sh', '-c', script], { timeout: 60_000 });
    const results = JSON.parse(stdout.trim().split('\n').at(-1)!);
    for (const name of ['literal', 'hex', 'rebinding']) {
      expect(results[name], name).toMatchObject({ result: { outcome: 'refused' }, connections: { '10.0.0.1': 0, '8.8.8.8': 0 } });
    }
    // A public address is connected to (it is a loopback alias here; TLS then fails, which is "could not connect").
    expect(results['public']).toMatchObject({ result: { outcome: 'unreachable' }, connections: { '10.0.0.1': 0, '8.8.8.8': 1 } });
    expect(results['allowed']).toMatchObject({ connections: 1 });
  });
});
