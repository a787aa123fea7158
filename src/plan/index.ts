export * from './model.js';
export { buildPlan } from './build.js';
export * from './render.js';
