// Runs the planned updates of a step, synchronously or off the JS thread, then its bookkeeping.
import { DeferredBookkeeping } from './bookkeeping';
import type { PlannedUpdate } from './planned-update';

/**
 * Runs every update the same way. Asynchronously, the promise settles only once every call that
 * started has finished, even when one failed: a call still running holds pointers into arrays
 * that user code, told of the failure, might free or reuse.
 */
export function runAll(updates: PlannedUpdate[], bookkeeping?: DeferredBookkeeping): void | Promise<void> {
  // Indexed loops: a for...of would call the array iterator, which user code can replace.
  if (!bookkeeping?.async) {
    for (let i = 0; i < updates.length; i++) updates[i](bookkeeping);
    return;
  }
  const started: Promise<void>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (let i = 0; i < updates.length; i++) started.push(Promise.resolve(updates[i](bookkeeping)));
  } catch (error) {
    failure = { error };
  }
  return Promise.allSettled(started).then((outcomes) => {
    if (failure !== undefined) throw failure.error;
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
  });
}

/** Runs a step's updates now, then their bookkeeping (that of the calls that ran, if one threw). */
export function runStep(updates: PlannedUpdate[]): void {
  const bookkeeping = new DeferredBookkeeping(false);
  try {
    runAll(updates, bookkeeping);
  } finally {
    bookkeeping.applyNow();
  }
}

/** Runs a step's updates off the JS thread; settles after every call and then the bookkeeping. */
export async function runStepAsync(updates: PlannedUpdate[]): Promise<void> {
  const bookkeeping = new DeferredBookkeeping(true);
  const [outcome] = await Promise.allSettled([runAll(updates, bookkeeping)]);
  await bookkeeping.apply();
  if (outcome.status === 'rejected') throw outcome.reason;
}
