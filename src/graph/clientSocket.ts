// The WebSocket class the gateway's WebSocket server makes for each connection (ws's `WebSocket` option): ws's own,
// except that a frame that cannot be written because the client has gone is not the operation's failure, and that
// the bound on the messages its client may send can be raised once the client has said who it is.
//
// graphql-ws awaits each frame it sends (its `send` resolves at once when the socket is no longer open), and a
// subscription whose frame failed is ended as failing: the failure goes through onError, which logs it as an
// internal error with a correlation id. A client that dropped its connection while a subscription was catching up
// (stored events written back to back, before the socket had read that the connection ended) made the next write
// fail with EPIPE or ECONNRESET, so such a client was logged as an internal error. That frame had nowhere to go: it is done. The connection's close follows at once, and graphql-ws
// ends its operations then.
//
// ws bounds the messages a client may send by one `maxPayload` for the whole server, checked against each frame's
// declared length before the frame is read. The gateway's server takes the bound for a caller without a token
// (MAX_ANONYMOUS_REQUEST_BYTES), so a socket that has not yet sent a `connection_init` it accepted cannot make it
// buffer a 16 MB message; `allowMessagesUpTo` raises one socket's bound once it has. ws has no setting for one
// socket: its receiver keeps the bound in a private field, `_maxPayload`, read at each frame's header. That field is
// what is raised, and a ws that no longer has it fails every accepted connection (4500, logged) rather than leaving
// callers with a token at the anonymous bound: test/graph/websocketLimits.test.ts fails at once on such an upgrade.
import { WebSocket } from 'ws';

type SendOptions = { mask?: boolean; binary?: boolean; compress?: boolean; fin?: boolean };
type SendCallback = (error?: Error) => void;

/** How a write fails when the other end of the connection has gone (Node's codes for a socket written to). */
const CLIENT_GONE = new Set(['EPIPE', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Whether a frame failed only because its connection has ended or is ending. */
function clientGone(socket: WebSocket, error: Error): boolean {
  return socket.readyState !== WebSocket.OPEN || CLIENT_GONE.has(String((error as NodeJS.ErrnoException).code));
}

export class ClientSocket extends WebSocket {
  override send(data: Parameters<WebSocket['send']>[0], callback?: SendCallback): void;
  override send(data: Parameters<WebSocket['send']>[0], options: SendOptions, callback?: SendCallback): void;
  override send(data: Parameters<WebSocket['send']>[0], optionsOrCallback?: SendOptions | SendCallback, callback?: SendCallback): void {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback ?? {};
    const done = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    if (!done) return super.send(data, options);
    super.send(data, options, (error) => done(error && !clientGone(this, error) ? error : undefined));
  }

  /** From now on its client may send messages of up to `bytes` (until now the server's `maxPayload`). */
  allowMessagesUpTo(bytes: number): void {
    const receiver = (this as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
    if (typeof receiver?._maxPayload !== 'number') {
      throw new Error('ws keeps no _maxPayload on a socket\'s receiver: the bound on its messages cannot be raised (src/graph/clientSocket.ts)');
    }
    receiver._maxPayload = bytes;
  }
}
