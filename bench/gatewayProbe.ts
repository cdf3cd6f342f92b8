// Preloaded into the gateway by `npm run bench:subscribers`
// (`node --expose-gc --import tsx --import ./bench/gatewayProbe.ts src/main.ts`) so that the gateway can report
// its V8 heap, which /proc cannot show, without a line of src/ knowing about benchmarks. It answers over the
// IPC channel, after a full collection: garbage left from connecting must not count as memory held per
// connection. RSS is read by the bench from /proc: process.memoryUsage() opens /proc/self/stat, which fails
// (and would take the gateway down) when the gateway has used up its file descriptors.
import v8 from 'node:v8';

export interface GatewayMemory {
  type: 'memory';
  heapUsed: number;
  /** Memory V8 knows to be held outside its heap (buffers and the like). */
  external: number;
  /** The most the V8 heap may grow to (--max-old-space-size, or V8's default for this machine). */
  heapLimit: number;
  collected: boolean;
}

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'memory') return;
  // Twice: the first pass can leave objects that only the second finds unreachable (weak references, finalizers).
  globalThis.gc?.();
  globalThis.gc?.();
  const heap = v8.getHeapStatistics();
  const reply: GatewayMemory = {
    type: 'memory',
    heapUsed: heap.used_heap_size,
    external: heap.external_memory,
    heapLimit: heap.heap_size_limit,
    collected: typeof globalThis.gc === 'function',
  };
  process.send?.(reply);
});
// The channel must not keep the gateway alive: it ends as main.ts decides.
process.channel?.unref();
