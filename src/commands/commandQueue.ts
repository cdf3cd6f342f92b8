// Commands of one kind that arrive while others of their group are being written wait here, and are then
// written together: one transaction, one commit and a few round trips for many commands instead of each its own
// (ledgers like TigerBeetle and Formance batch their writes for the same reason). Nobody waits for a batch to
// fill: a command starts at once when fewer than `inFlight` batches of its group are running, so a lone request
// costs what it did alone, and under load the batches grow by themselves.
//
// Two commands that touch the same thing (a loan, an idempotency key) never share a batch: the later one waits
// for the next, so each sees what the earlier left, as if they had come one after the other.

export interface CommandQueueOptions<I, O> {
  /** Writes a batch; one answer per item, in order. Throwing fails every item of the batch with that error. */
  run: (items: I[]) => Promise<PromiseSettledResult<O>[]>;
  /** What an item touches: items sharing a key are never in one batch, and keep their order. */
  keysOf: (item: I) => string[];
  /** Batches of one group written at the same time. */
  inFlight: number;
  /** The most items in one batch. */
  maxBatch: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

interface Group<I, O> {
  waiting: Waiting<I, O>[];
  running: number;
}

export class CommandQueue<I, O> {
  private readonly groups = new Map<string, Group<I, O>>();

  constructor(private readonly options: CommandQueueOptions<I, O>) {}

  /** Writes `item` with whatever else of `group` is waiting; its own answer or error. */
  submit(group: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let found = this.groups.get(group);
      if (!found) this.groups.set(group, (found = { waiting: [], running: 0 }));
      found.waiting.push({ item, resolve, reject });
      this.pump(group, found);
    });
  }

  private pump(name: string, group: Group<I, O>): void {
    while (group.running < this.options.inFlight && group.waiting.length > 0) {
      const taken: Waiting<I, O>[] = [];
      const rest: Waiting<I, O>[] = [];
      const touched = new Set<string>();
      for (const waiting of group.waiting) {
        const keys = this.options.keysOf(waiting.item);
        if (taken.length < this.options.maxBatch && !keys.some((key) => touched.has(key))) taken.push(waiting);
        else rest.push(waiting);
        // A skipped item's keys hold back later items too: first come, first written.
        for (const key of keys) touched.add(key);
      }
      group.waiting = rest;
      group.running += 1;
      void this.write(taken).finally(() => {
        group.running -= 1;
        if (group.running === 0 && group.waiting.length === 0) this.groups.delete(name);
        else this.pump(name, group);
      });
    }
  }

  private async write(batch: Waiting<I, O>[]): Promise<void> {
    let answers: PromiseSettledResult<O>[];
    try {
      answers = await this.options.run(batch.map((w) => w.item));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, k) => {
      const answer = answers[k];
      if (!answer) waiting.reject(new Error('the batch gave no answer for this command'));
      else if (answer.status === 'fulfilled') waiting.resolve(answer.value);
      else waiting.reject(answer.reason);
    });
  }
}
