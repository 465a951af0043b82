// The training engine's public surface.
export { fineTune, dropoutSeed, validateData, clipScale, type FineTuneOptions, type TrainData } from './fine-tune';
export { RunControls } from './controls';
export { type TrainEvent, type TrainEventType, type EvalResult, type StopReason } from './events';
export { resolveConfig, metricMode, type TrainConfig, type EarlyStoppingConfig, type ResolvedConfig } from './config';
export { encodeExamples, IGNORE_INDEX, type EncodedExample } from './encode';
export { predict, predictText, type PredictOptions } from './predict';
export { crossValidate, kFoldAssignments, type CrossValidationResult } from './cross-validate';
export { evalFromOutputs, collectOutputs, type ExampleOutput } from './evaluate';
export * from './metrics';
export { AdamOptimizer, decays, type OptimizerKind, type OptimizerOptions } from './optimizer';
export { learningRateAt, resolveWarmup, type ScheduleKind, type ScheduleSpec } from './schedule';
export { planEpoch, planEval, paddedLength, makeTensorBatch, makeTargets } from './batching';
export { taskLoss, balancedClassWeights } from './losses';
export { Rng, type RngState } from './rng';
export { readVariables, assignVariables } from './state';
