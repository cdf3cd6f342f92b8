// The WebSocket class the gateway's WebSocket server makes for each connection (ws's `WebSocket` option): ws's own,
// except that a frame that cannot be written because the client has gone is not the operation's failure.
//
// graphql-ws awaits each frame it sends (its `send` resolves at once when the socket is no longer open), and a
// subscription whose frame failed is ended as failing: the failure goes through onError, which logs it as an
// internal error with a correlation id. A client that dropped its connection while a subscription was catching up
// (stored events written back to back, before the socket had read that the connection ended) made the next write
// fail with EPIPE or ECONNRESET, so such a client was logged as an internal error. That frame had nowhere to go: it is done. The connection's close follows at once, and graphql-ws
// ends its operations then.
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
}
