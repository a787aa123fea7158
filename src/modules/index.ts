/**
 * Modules: the registry, the built-in modules and the plugins' (registered on import). The engine
 * imports this one file and knows no plugin by name: a plugin's per-run state comes to a run as
 * a registered service (registry.ts), its modules by name from the registry.
 */
import './builtin/index.js';
import './mender/index.js';

export * from './registry.js';
export { registerBuiltinModules } from './builtin/index.js';
