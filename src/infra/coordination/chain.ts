// Callers of one process wait for a name in line, so only the head of the line talks to Redis
// (no polling storm from one instance) and same-process callers keep their arrival order.

export class LocalChain {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    // The tail never rejects, so one failure does not poison the next caller.
    const tail = run.catch(() => undefined);
    this.tails.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}
