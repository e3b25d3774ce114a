// torch.optim._functional-shaped entry points: stateless, multi-tensor, one backend call each.
// Each validates all its arguments before touching memory.
export { adam, adamw, type AdamCallOptions } from './adam';
export { adamax, type AdamaxCallOptions } from './adamax';
export { adadelta, type AdadeltaCallOptions } from './adadelta';
export { adagrad, type AdagradCallOptions } from './adagrad';
export { lamb, type LambCallOptions } from './lamb';
export { lion, type LionCallOptions } from './lion';
export { nadam, type NadamCallOptions } from './nadam';
export { radam, type RadamCallOptions } from './radam';
export { rmsprop, type RmspropCallOptions } from './rmsprop';
export { sgd, type SgdCallOptions } from './sgd';
export { accumulate, clampValues, lookaheadSync, scale } from './tensors';
export { createState, stateFromFloat32, stateToFloat32, type Int8State, type StateTensor } from './stored';
