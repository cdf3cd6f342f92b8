// Loaded into the load engine's process (`node --import`, inherited by its worker threads) when it runs against
// this machine: every TCP connection (HTTP, HTTPS, WebSocket, gRPC all open one) and every UDP datagram to a host
// that is not loopback is refused before any name is looked up, and named on stderr. The smoke test fails on such
// a line, so a plugin or an engine update that starts phoning home is caught by the test, not by the network.
import dgram from 'node:dgram';
import net from 'node:net';

const REFUSED = 'loopback-only: refused';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host) || /^::ffff:127\./.test(host);
}

function refuse(what: string): Error {
  process.stderr.write(`${REFUSED} ${what}\n`);
  return new Error(`${REFUSED} ${what}: load tests against this machine connect nowhere else`);
}

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const connect = net.Socket.prototype.connect as unknown as Connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  // net.connect passes its arguments already normalised, as [options, callback].
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  let host: string | undefined;
  let port: unknown;
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; port?: unknown; path?: string };
    if (options.path === undefined) {
      host = options.host ?? 'localhost';
      port = options.port;
    }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : 'localhost';
    port = first;
  }
  if (host !== undefined && !isLoopback(host)) {
    const error = refuse(`a connection to ${host}:${String(port)}`);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
} as typeof net.Socket.prototype.connect;

type Send = (this: dgram.Socket, ...args: unknown[]) => void;
const send = dgram.Socket.prototype.send as unknown as Send;
dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]): void {
  // The address is the first string after the message (send(msg, [offset, length,] port, address, callback)).
  const address = args.slice(1).find((arg): arg is string => typeof arg === 'string');
  if (address !== undefined && !isLoopback(address)) {
    const error = refuse(`a datagram to ${address}`);
    const callback = args.findLast((arg): arg is (error: Error) => void => typeof arg === 'function');
    if (callback) process.nextTick(callback, error);
    return;
  }
  send.apply(this, args);
} as typeof dgram.Socket.prototype.send;

type ConnectDatagram = (this: dgram.Socket, ...args: unknown[]) => void;
const connectDatagram = dgram.Socket.prototype.connect as unknown as ConnectDatagram;
dgram.Socket.prototype.connect = function guardedDatagramConnect(this: dgram.Socket, ...args: unknown[]): void {
  const address = typeof args[1] === 'string' ? args[1] : 'localhost';
  if (!isLoopback(address)) {
    const error = refuse(`a datagram socket to ${address}`);
    const callback = args.findLast((arg): arg is (error: Error) => void => typeof arg === 'function');
    if (callback) process.nextTick(callback, error);
    return;
  }
  connectDatagram.apply(this, args);
} as typeof dgram.Socket.prototype.connect;
