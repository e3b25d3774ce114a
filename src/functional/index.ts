// torch.optim._functional-shaped entry points: stateless, multi-tensor, one backend call each.
// Each validates all its arguments before touching memory.
export { adam, adamw, type AdamOptions } from './adam';
export { adamax, type AdamaxOptions } from './adamax';
export { adadelta, type AdadeltaOptions } from './adadelta';
export { adagrad, type AdagradOptions } from './adagrad';
export { lamb, type LambOptions } from './lamb';
export { lion, type LionOptions } from './lion';
export { nadam, type NadamOptions } from './nadam';
export { radam, type RadamOptions } from './radam';
export { rmsprop, type RmspropOptions } from './rmsprop';
export { sgd, type SgdOptions } from './sgd';
export { accumulate, clampValues, lookaheadSync, scale } from './tensors';
export { createState, stateFromFloat32, stateToFloat32, type Int8State, type StateTensor } from './stored';
