export * from './policy.js';
export * from './membership.js';
export * from './decide.js';
export * from './facts.js';
export * from './plan-waves.js';
export * from './progress.js';
