import { decodeBf16, dequantizeBlock, encodeBf16, quantizeBlock, UNSIGNED_STATE } from '../state-format';
import type { StoredFields } from '../types';

/** A float32 kernel of this backend: one update over lists of tensors. */
type FloatKernel = (streams: Record<string, Float32Array[] | null>, scalars: object) => void;

/** Elements decoded at a time with bfloat16 state (native/kernels/lowmem.cpp: kBf16Chunk). */
const BF16_CHUNK = 2048;

/**
 * Specification of native/kernels/lowmem.cpp: each block of a tensor's stored state (a bfloat16
 * chunk, an int8 block) is decoded to float32, updated by the kind's float32 kernel together
 * with the same slice of param and grad, and encoded back. The update sees the new moments
 * before they are stored, as bitsandbytes' 8-bit optimizers do.
 */
export function stepStored(kernel: FloatKernel, streams: Record<string, unknown> & StoredFields, scalars: object): void {
  const int8 = streams.stateFormat === 2;
  const chunk = int8 ? (streams.blockSize as number) : BF16_CHUNK;
  const params = streams.param as Float32Array[], grads = streams.grad as Float32Array[];
  const names = Object.keys(streams).filter(
    (k) => k !== 'param' && k !== 'grad' && k !== 'stateFormat' && k !== 'blockSize' && !k.endsWith('Absmax') && streams[k] != null,
  );
  const scratch = names.map(() => new Float32Array(chunk));
  for (let t = 0; t < params.length; t++) {
    const n = params[t].length;
    for (let at = 0, block = 0; at < n; at += chunk, block++) {
      const m = Math.min(chunk, n - at);
      const flat: Record<string, Float32Array[] | null> = {
        param: [params[t].subarray(at, at + m)],
        grad: [grads[t].subarray(at, at + m)],
      };
      names.forEach((name, k) => {
        const s = scratch[k].subarray(0, m);
        const stored = (streams[name] as (Uint8Array | Uint16Array)[])[t];
        if (int8) {
          const absmax = (streams[`${name}Absmax`] as Float32Array[])[t][block];
          dequantizeBlock((stored as Uint8Array).subarray(at, at + m), 0, m, absmax, !UNSIGNED_STATE.has(name), s);
        } else decodeBf16((stored as Uint16Array).subarray(at, at + m), s);
        flat[name] = [s];
      });
      // Streams the kind has but this call leaves out (disabled by a flag) stay null.
      for (const key of Object.keys(streams)) if (streams[key] === null && !key.endsWith('Absmax')) flat[key] = null;
      kernel(flat, scalars);
      names.forEach((name, k) => {
        const s = scratch[k].subarray(0, m);
        const stored = (streams[name] as (Uint8Array | Uint16Array)[])[t];
        if (int8) {
          const codes = (stored as Uint8Array).subarray(at, at + m);
          (streams[`${name}Absmax`] as Float32Array[])[t][block] = quantizeBlock(s, 0, m, !UNSIGNED_STATE.has(name), codes);
        } else encodeBf16(s, (stored as Uint16Array).subarray(at, at + m));
      });
    }
  }
}
