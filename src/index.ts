// fused-optim: fast fused optimizer steps for Node.js, PyTorch-exact.
export { backendInfo, useBackend, useIsa, setThreads, type BackendInfo, type BackendName } from './backend';
export * as functional from './functional';
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
