/** Modules: the registry and the built-in modules (registered on import). */
export * from './registry.js';
export { registerBuiltinModules } from './builtin/index.js';
