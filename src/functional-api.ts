// The `functional` namespace: torch.optim._functional-shaped entry points, stateless,
// multi-tensor, one backend call each; each validates all its arguments before touching memory.
// Each optimizer's functional form lives in its file under optim/, beside its class.
export { adam, adamw, type AdamCallOptions } from './optim/adam';
export { adamax, type AdamaxCallOptions } from './optim/adamax';
export { adadelta, type AdadeltaCallOptions } from './optim/adadelta';
export { adagrad, type AdagradCallOptions } from './optim/adagrad';
export { lamb, type LambCallOptions } from './optim/lamb';
export { lion, type LionCallOptions } from './optim/lion';
export { nadam, type NadamCallOptions } from './optim/nadam';
export { radam, type RadamCallOptions } from './optim/radam';
export { rmsprop, type RmspropCallOptions } from './optim/rmsprop';
export { sgd, type SgdCallOptions } from './optim/sgd';
export { accumulate, clampValues, lookaheadSync, scale } from './functional/tensors';
export { createState, stateFromFloat32, stateToFloat32, type Int8State, type StateTensor } from './functional/stored';
