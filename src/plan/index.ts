export * from './model.js';
export { buildPlan, type DecisionKind, type HostFailure, type PlanInput } from './build.js';
export { FailureLog, makesPlan } from './collect.js';
export * from './render.js';
export * from './waves.js';
