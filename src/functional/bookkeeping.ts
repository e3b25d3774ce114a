// The bookkeeping of a step (step counts, new state, NAdam's μ products), held back until every
// backend call of the step has settled. It can run user code (a setter someone put on a state
// object): none may run while a worker still uses the arrays, nor between one group's update
// and the next.

export class DeferredBookkeeping {
  private readonly entries: { done: void | Promise<void>; apply: () => void }[] = [];

  /** `async`: the step's backend calls run off the JS thread and return promises. */
  constructor(readonly async: boolean) {}

  /** `apply` is to run once the whole step has settled, if `done` fulfilled. */
  add(done: void | Promise<void>, apply: () => void): void | Promise<void> {
    this.entries.push({ done, apply });
    return done;
  }

  /** Applies, in order, the bookkeeping of every call that succeeded. */
  async apply(): Promise<void> {
    const outcomes = await Promise.allSettled(this.entries.map((e) => e.done));
    outcomes.forEach((o, i) => o.status === 'fulfilled' && this.entries[i].apply());
  }

  /** The same when every call ran synchronously (a call that threw added nothing). */
  applyNow(): void {
    for (const e of this.entries) e.apply();
  }
}

/**
 * Runs `apply` once a call is done: at once without step-wide bookkeeping (a lone functional
 * call), else when the whole step has settled.
 */
export function addBookkeeping(
  done: void | Promise<void>,
  apply: () => void,
  bookkeeping: DeferredBookkeeping | undefined,
): void | Promise<void> {
  if (bookkeeping !== undefined) return bookkeeping.add(done, apply);
  apply();
}
