export * from './policy.js';
export * from './membership.js';
export * from './decide.js';
