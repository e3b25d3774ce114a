// fused-optim: fast fused optimizer steps for Node.js, PyTorch-exact.
export { backendInfo, setThreads, useBackend, useIsa, type BackendInfo, type BackendName } from './backend';
export * as functional from './functional-api';
export { clipCoefficient, clipGradNorm, clipGradValue, hasNonFinite, type ClipOptions } from './grad/clip';
export { gradNorm } from './grad/norm';
export {
  Optimizer,
  type Parameter,
  type ParamGroup,
  type ParamState,
  type StateDict,
  type StepOptions,
  type ZeroGradOptions,
} from './optim/optimizer';
export { Adam, AdamW, type AdamOptions } from './optim/adam';
export { type AdamLikeOptions, type StoredAdamLikeOptions } from './optim/adam-like';
export { Adamax } from './optim/adamax';
export { LAMB } from './optim/lamb';
export { NAdam, type NadamOptions } from './optim/nadam';
export { RAdam } from './optim/radam';
export { Adadelta, type AdadeltaOptions } from './optim/adadelta';
export { Adagrad, type AdagradOptions } from './optim/adagrad';
export { Lion, type LionOptions } from './optim/lion';
export { Lookahead, type LookaheadOptions, type LookaheadStateDict } from './optim/lookahead';
export { RMSprop, type RmspropOptions } from './optim/rmsprop';
export { SGD, type SgdOptions } from './optim/sgd';
export { deserializeState, serializeState } from './optim/serialize';
export { loadCheckpoint, loadCheckpointSync, saveCheckpoint, saveCheckpointSync } from './optim/checkpoint';
export { type StateDtype } from './backend/state-format';
export { type StoredStateOptions } from './optim/stored-state';
export * from './schedule';
