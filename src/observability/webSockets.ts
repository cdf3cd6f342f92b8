// The WebSocket side's gauges: connections the server holds, and subscriptions streaming on them, read from the
// server and from graphql-ws's own record of each connection's operations when Prometheus scrapes.
import type { WebSocket, WebSocketServer } from 'ws';
import { observeSockets } from './metrics.js';

/** What graphql-ws keeps per connection: its operations by id, an iterator once a subscription streams. */
interface ConnectionOperations {
  subscriptions: Record<string, unknown>;
}

/** Starts counting `server`'s sockets until it closes; returns how to count one connection's subscriptions. */
export function observeWebSockets(server: WebSocketServer): (connection: ConnectionOperations, socket: WebSocket) => void {
  const connections = new Set<ConnectionOperations>();
  const stop = observeSockets({
    connections: () => server.clients.size,
    subscriptions: () => {
      let streaming = 0;
      // A query or mutation over the socket is recorded as null while it runs; only subscriptions hold an iterator.
      for (const connection of connections) for (const id in connection.subscriptions) if (connection.subscriptions[id]) streaming += 1;
      return streaming;
    },
  });
  server.once('close', stop);
  return (connection, socket) => {
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  };
}
