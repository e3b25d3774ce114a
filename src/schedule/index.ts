export type { JsonValue, ParamGroupLike, SchedulableOptimizer, SchedulerStateDict } from './types';
export { LRScheduler } from './base';
export {
  ConstantLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
  type ConstantLROptions,
  type ExponentialLROptions,
  type LinearLROptions,
  type MultiStepLROptions,
  type PolynomialLROptions,
  type StepLROptions,
} from './step';
export {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  type CosineAnnealingLROptions,
  type CosineAnnealingWarmRestartsOptions,
} from './cosine';
export { LambdaLR, MultiplicativeLR, type LambdaLROptions, type LrLambda, type MultiplicativeLROptions } from './lambda';
export { OneCycleLR, type OneCycleLROptions } from './onecycle';
export { CyclicLR, type CyclicLROptions, type CyclicMode, type CyclicScaleMode } from './cyclic';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau';
export { ChainedScheduler, SequentialLR, type ChainedSchedulerOptions, type SequentialLROptions } from './sequential';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping';
export {
  GradientHealthMonitor,
  type GradientHealth,
  type GradientHealthOptions,
  type GradientWarningKind,
} from './grad-health';
