// The validated-lists cache a call site keeps across steps (StreamCache, see ./types): the
// backend layer's half of it, the length check that must hold right before the addon call.
import { lengthGetterIntact, tensorLength } from './engine';
import type { StreamCache } from './types';

/** True while every array of the cache has the length it was validated with. */
export function lengthsHold(cache: StreamCache): boolean {
  const lengths = cache.lengths as number[];
  const plain = !cache.resizable && lengthGetterIntact();
  const lists = (plain ? cache.lists : cache.originals) as Float32Array[][];
  let at = 0;
  for (let k = 0; k < lists.length; k++) {
    const list = lists[k];
    for (let i = 0; i < list.length; i++, at++)
      if ((plain ? list[i].length : tensorLength(list[i])) !== lengths[at]) return false;
  }
  return true;
}
