// Float32 optimizer state kept inside TF.js's wasm heap while fused-optim's own WebAssembly
// kernels run in that heap (routes.ts, shareHeap): they then update the state where it lies,
// instead of copying each slice of it in and out of their work area every step (two of a
// momentum step's five streams, four of Adam's seven).
//
// Any TF.js allocation can grow the heap, which detaches every view of it; so a placed array is
// known by its address, and `fresh` gives its current view. The blocks are freed by `releaseAll`
// (the optimizer's dispose or setWeights), or when the optimizer is garbage-collected.
import type { WasmMemory } from '../backend/wasm-module';

/** The part of an Emscripten module that placing state needs. */
export interface HeapModule {
  memory: WasmMemory;
  malloc(bytes: number): number;
  free(address: number): void;
}

interface Block {
  address: number;
  length: number;
}

const freeBlocks = new FinalizationRegistry<{ module: HeapModule; addresses: Set<number> }>(({ module, addresses }) => {
  for (const a of addresses) module.free(a);
});

export class HeapState {
  /** Each placed array's block, by the view last handed out for it. */
  private blocks = new Map<Float32Array, Block>();
  /** Addresses to free if the owner is collected without releaseAll. */
  private addresses = new Set<number>();

  constructor(
    readonly module: HeapModule,
    owner: object,
  ) {
    freeBlocks.register(owner, { module, addresses: this.addresses }, this);
  }

  holds(a: Float32Array): boolean {
    return this.blocks.has(a);
  }

  /**
   * A heap copy of `a` (a's values; `a` itself is not changed), or `a` itself when the heap has
   * no room (wasm32 heaps end at 2–4 GB): that state is then copied through, as before. Allocating
   * can grow the heap: take views of it afterwards.
   */
  adopt(a: Float32Array): Float32Array {
    const address = this.module.malloc(a.length * 4) >>> 0;
    if (address === 0) return a;
    this.addresses.add(address);
    const view = new Float32Array(this.module.memory.buffer, address, a.length);
    view.set(a);
    this.blocks.set(view, { address, length: a.length });
    return view;
  }

  /** The current view of a placed array (a new view if the heap grew since `a` was made). */
  fresh(a: Float32Array): Float32Array {
    const block = this.blocks.get(a);
    const buffer = this.module.memory.buffer;
    if (block === undefined || a.buffer === buffer) return a;
    const view = new Float32Array(buffer, block.address, block.length);
    this.blocks.delete(a);
    this.blocks.set(view, block);
    return view;
  }

  /** Frees a placed array's block (a prepared state the step dropped). */
  release(a: Float32Array): void {
    const block = this.blocks.get(a);
    if (block === undefined) return;
    this.blocks.delete(a);
    this.addresses.delete(block.address);
    this.module.free(block.address);
  }

  releaseAll(): void {
    for (const a of this.addresses) this.module.free(a);
    this.addresses.clear();
    this.blocks.clear();
    freeBlocks.unregister(this);
  }
}
