// The floor under `npm run bench:subscribers`: the same number of WebSockets, held by the same client processes on
// the same two cores, sent the very frame the gateway sends for an event, by a process that does nothing else: no
// GraphQL, no database, no authentication. What it takes to hand one frame to every socket and for every client
// to receive it is what the machine's sockets cost; the gateway's fan-out is measured beside it in the same run.
// Written like the gateway's fan-out (src/graph/subscriptionFanout.ts): one `ws` send per socket, 256 sockets per
// turn of the event loop. Started by bench/subscribers.ts with an IPC channel; never run on its own.
import { WebSocketServer, type WebSocket } from 'ws';

export type ToFloor = { type: 'broadcast'; cursor: string } | { type: 'count' };
export type FromFloor =
  | { type: 'listening'; port: number }
  | { type: 'broadcast'; startedAt: number; writtenAt: number }
  | { type: 'count'; open: number };

const CHUNK = 256;
const SEND_OPTIONS = { binary: false, compress: false, fin: true } as const;
const now = () => performance.timeOrigin + performance.now();
const send = (message: FromFloor) => process.send!(message);

const sockets = new Set<WebSocket>();
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => sockets.delete(socket));
});

async function broadcast(cursor: string): Promise<void> {
  // The gateway's frame for `subscription { events { cursor type } }`, with the id its clients give.
  const frame = `{"id":"1","type":"next","payload":{"data":{"events":{"cursor":${JSON.stringify(cursor)},"type":"partner.registered"}}}}`;
  const startedAt = now();
  let written = 0;
  for (const socket of sockets) {
    socket.send(frame, SEND_OPTIONS);
    if (++written % CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  send({ type: 'broadcast', startedAt, writtenAt: now() });
}

server.on('listening', () => send({ type: 'listening', port: (server.address() as { port: number }).port }));
process.on('message', (message: ToFloor) => {
  if (message.type === 'broadcast') void broadcast(message.cursor);
  else send({ type: 'count', open: sockets.size });
});
process.on('disconnect', () => process.exit(0));
