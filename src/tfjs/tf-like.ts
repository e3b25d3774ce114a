// The parts of TensorFlow.js this module uses, as structural types: fused-optim/tfjs works with
// the caller's own `tf` object and never imports @tensorflow/tfjs-core itself.

export interface TfTensor {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: string;
  readonly size: number;
  readonly isDisposed: boolean;
  dispose(): void;
  dataSync(): ArrayLike<number>;
  data(): Promise<ArrayLike<number>>;
}

export interface TfVariable extends TfTensor {
  readonly name: string;
  assign(value: TfTensor): void;
}

export interface NamedTensor {
  name: string;
  tensor: TfTensor;
}
export type NamedTensorMap = Record<string, TfTensor>;

/** What a TF.js backend object offers; the cpu and wasm routes use a few of their own members. */
export interface TfBackend {
  epsilon(): number;
  readSync?(dataId: object): unknown;
  makeOutput?(shape: number[], dtype: string): { dataId: object; shape: number[]; dtype: string };
  typedArrayFromHeap?(info: { dataId: object; shape: number[]; dtype: string }): unknown;
  disposeData?(dataId: object, force?: boolean): boolean;
  /** The wasm backend's Emscripten module: its memory (asm.memory) and allocator. */
  wasm?: {
    HEAPU8?: Uint8Array;
    asm?: { memory?: unknown };
    wasmMemory?: unknown;
    _malloc?: (bytes: number) => number;
    _free?: (address: number) => void;
  };
}

/** TF.js's Optimizer base class, as far as subclasses see it. */
export interface TfOptimizerBase {
  readonly iterations: number;
  computeGradients(f: () => TfTensor, varList?: TfVariable[]): { value: TfTensor; grads: NamedTensorMap };
  getClassName(): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TfOptimizerClass = abstract new () => any;

export interface TfLike {
  Optimizer: TfOptimizerClass;
  engine(): {
    registeredVariables: Record<string, TfVariable>;
    makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: string }, backend?: unknown): TfTensor;
  };
  backend(): TfBackend;
  getBackend(): string;
  tensor(values: Float32Array, shape: number[], dtype: 'float32'): TfTensor;
  scalar(value: number, dtype?: string): TfTensor;
  dispose(x: unknown): void;
  serialization: {
    registerClass(cls: unknown): void;
    SerializationMap: { getMap(): { classNameMap: Record<string, unknown> } };
  };
}
