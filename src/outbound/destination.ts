// Where the platform may send a request on a customer's say-so (webhooks today; callback and provider URLs a
// tenant configures later). Only public unicast addresses on allowed ports: anything inside the network the
// gateway runs in (loopback, private, link-local, carrier-grade NAT, unique-local, metadata services) would let a
// customer make the platform reach what the customer cannot. Pure: the same answers for registration (the URL as
// written) and for delivery (each address a name resolves to, and the address actually connected to).
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The setting that lets requests reach private destinations (local receivers, the test suite). */
export const ALLOW_PRIVATE_SETTING = 'OUTBOUND_ALLOW_PRIVATE_DESTINATIONS';

export interface DestinationPolicy {
  /** Loopback, private and other internal addresses and names become reachable (never metadata services). */
  allowPrivate: boolean;
  /** Plain http (and with it port 80) is accepted; https only otherwise. */
  allowPlainHttp: boolean;
  /** Ports beyond 443 (and 80 with plain http), as inclusive ranges. */
  extraPorts: readonly (readonly [number, number])[];
}

/** Why a destination is refused, in words its owner can act on. Never says what is listening there. */
export class DestinationRefused extends Error {
  readonly code = 'EDESTINATIONREFUSED';
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DestinationRefused';
  }
}

const privateHint = `; internal destinations are refused unless ${ALLOW_PRIVATE_SETTING}=true (local receivers only)`;

// Cloud metadata services: never a receiver, not even with private destinations allowed.
const METADATA_NAMES = new Set([
  'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal',
  'metadata.azure.internal', 'metadata.tencentyun.com', 'metadata.platformequinix.com', 'metadata.packet.net',
]);
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '169.254.169.253', '100.100.100.200', 'fd00:ec2::254', 'fd00:ec2::23']
  .map((address) => ipaddr.parse(address).toNormalizedString());
// Names that only ever resolve inside a network: special-use and private-use suffixes (RFC 6761, 6762, 8375, and
// ICANN's `.internal`), and single-label names, which a resolver completes with the host's search domains.
const INTERNAL_SUFFIXES = ['.localhost', '.local', '.localdomain', '.internal', '.intranet', '.lan', '.home.arpa', '.corp', '.private'];

/** A host name without the final dot, lower case (URL already lower-cases and punycodes it). */
function bareName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Refuses an IP address (any spelling ipaddr.js parses; IPv6 with or without brackets), or null when allowed. */
export function refusedAddress(address: string, policy: Pick<DestinationPolicy, 'allowPrivate'>): string | null {
  const text = address.replace(/^\[|\]$/g, '');
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(text);
  } catch {
    return 'the destination is not a valid address';
  }
  if (METADATA_ADDRESSES.includes(parsed.toNormalizedString())) return 'the destination is a cloud metadata service';
  let range: string = parsed.range();
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // An IPv4 address dressed as IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64, 6to4, Teredo) is
    // refused outright rather than unwrapped: receivers publish their real addresses.
    if (v6.isIPv4MappedAddress()) range = 'ipv4Mapped';
    else if (range === 'unicast' && v6.parts.slice(0, 6).every((part) => part === 0)) range = 'ipv4Compatible';
  }
  if (range === 'unicast') return null;
  const names: Record<string, string> = {
    loopback: 'a loopback address', private: 'a private (RFC 1918) address', linkLocal: 'a link-local address',
    carrierGradeNat: 'a carrier-grade NAT address', uniqueLocal: 'a unique-local address', unspecified: 'the unspecified address',
    multicast: 'a multicast address', broadcast: 'the broadcast address', ipv4Mapped: 'an IPv4-mapped IPv6 address',
    ipv4Compatible: 'an IPv4-compatible IPv6 address',
  };
  // Addresses that only make sense inside a network (and with the setting, a local receiver) can be allowed;
  // multicast, broadcast, unspecified and special-purpose ranges never name a receiver.
  const internal = ['loopback', 'private', 'linkLocal', 'carrierGradeNat', 'uniqueLocal', 'ipv4Mapped', 'ipv4Compatible'];
  if (policy.allowPrivate && internal.includes(range)) return null;
  const what = names[range] ?? `a special-purpose address (${range})`;
  return `the destination is ${what}${internal.includes(range) ? privateHint : ''}`;
}

/** Refuses a host name that can only mean something inside a network, or null when it may be resolved. */
export function refusedHostName(host: string, policy: Pick<DestinationPolicy, 'allowPrivate'>): string | null {
  const name = bareName(host);
  if (METADATA_NAMES.has(name)) return 'the destination is a cloud metadata service';
  if (policy.allowPrivate) return null;
  if (name === 'localhost' || name.endsWith('.localhost')) return `the destination is this machine${privateHint}`;
  if (!name.includes('.') || INTERNAL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return `the destination is an internal host name${privateHint}`;
  return null;
}

/** Names reserved never to exist on the public internet (RFC 2606, 6761): not worth a query to any resolver. */
export function neverResolves(host: string): boolean {
  const name = bareName(host);
  return ['.test', '.example', '.invalid'].some((suffix) => name.endsWith(suffix)) || ['test', 'example', 'invalid'].includes(name);
}

export function allowedPort(port: number, policy: Pick<DestinationPolicy, 'allowPlainHttp' | 'extraPorts'>): boolean {
  return port === 443 || (policy.allowPlainHttp && port === 80) || policy.extraPorts.some(([from, to]) => port >= from && port <= to);
}

/**
 * Checks a URL as written (registration, and again before each request): scheme, credentials, port, and its host
 * — an address in whichever spelling (WHATWG URL normalises decimal, hex, octal and short IPv4 forms and IPv6
 * before we look) or a name. Names are resolved only when a request is made; each address is checked then.
 */
export function checkDestination(raw: string, policy: DestinationPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationRefused('url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowPlainHttp && url.protocol === 'http:')) {
    throw new DestinationRefused(policy.allowPlainHttp ? 'url must be http or https' : 'url must be https');
  }
  if (url.username || url.password) throw new DestinationRefused('url must not carry credentials; verify our signature instead');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!allowedPort(port, policy)) {
    throw new DestinationRefused(`url must use port 443${policy.allowPlainHttp ? ' or 80' : ''}; other ports only when OUTBOUND_ALLOWED_PORTS lists them`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const refusal = isIP(host) ? refusedAddress(host, policy) : refusedHostName(host, policy);
  if (refusal) throw new DestinationRefused(refusal);
  return url;
}

/** Parses OUTBOUND_ALLOWED_PORTS: `8443,9000-9010`. */
export function parsePortList(text: string): [number, number][] {
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const from = Number(match?.[1]);
    const to = Number(match?.[2] ?? match?.[1]);
    if (!match || from < 1 || to > 65535 || from > to) throw new Error(`"${part}" is not a port or a range of ports (1–65535)`);
    return [from, to];
  });
}
