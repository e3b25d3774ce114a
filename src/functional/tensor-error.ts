// Errors about one tensor of a list argument ("grads[2] has a detached buffer"). They carry what
// they are about as fields, so a caller that knows the tensor by another name (an optimizer: the
// parameter paramGroups[g].params[i]) adds that name without parsing the message.

/** A tensor of a call: the list argument it was passed in and its index there. */
export interface TensorRef {
  argument: string;
  index: number;
}

/** The parameter an optimizer knows the tensor as. */
export interface ParamRef {
  group: number;
  index: number;
  name?: string;
}

/** A message after the tensor it is about: text, and the other tensors it names. */
export type Problem = readonly (string | TensorRef)[];

const refText = (r: TensorRef) => `${r.argument}[${r.index}]`;

/** The message, built in one place from the fields. */
function messageOf(tensor: TensorRef, problem: Problem, param: ParamRef | undefined): string {
  const where =
    param === undefined ? '' : ` (paramGroups[${param.group}].params[${param.index}]${param.name === undefined ? '' : ` '${param.name}'`})`;
  return `${refText(tensor)}${where} ${problem.map((p) => (typeof p === 'string' ? p : refText(p))).join('')}`;
}

/** What both error classes carry. */
export interface TensorListError extends Error, TensorRef {
  /** The message after the tensor, with the other tensors it names. */
  problem: Problem;
  /** Set by an optimizer: the parameter the tensor belongs to. */
  param?: ParamRef;
}

/** A tensor of the wrong type, or detached. */
export class TensorTypeError extends TypeError implements TensorListError {
  param?: ParamRef;
  constructor(public argument: string, public index: number, public problem: Problem) {
    super(messageOf({ argument, index }, problem, undefined));
  }
}

/** A tensor of the wrong length, or sharing memory with a written one. */
export class TensorRangeError extends RangeError implements TensorListError {
  param?: ParamRef;
  constructor(public argument: string, public index: number, public problem: Problem) {
    super(messageOf({ argument, index }, problem, undefined));
  }
}

export function isTensorListError(e: unknown): e is TensorListError {
  return e instanceof TensorTypeError || e instanceof TensorRangeError;
}

/** Names the parameter the tensor belongs to (in the message too). */
export function attachParam(e: TensorListError, param: ParamRef): void {
  e.param = param;
  e.message = messageOf(e, e.problem, param);
}

/**
 * For a call over a subset of a list: `indices[k]` is the index in the whole list of the
 * subset's k-th tensor; every tensor the error names gets its index in the whole list.
 */
export function reindex(e: TensorListError, indices: readonly number[]): void {
  e.index = indices[e.index];
  e.problem = e.problem.map((p) => (typeof p === 'string' ? p : { argument: p.argument, index: indices[p.index] }));
  e.message = messageOf(e, e.problem, e.param);
}
