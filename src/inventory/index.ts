/** Ansible-compatible YAML inventory: loading, variable layers, host patterns, editing. */
export type { VarLayer, GroupInfo, Inventory, LoadOptions } from './types.js';
export { loadInventory } from './load.js';
export { deviceLabel, isDeviceId, shortId } from './device-id.js';
export { globToRegex, splitPattern } from './patterns.js';
export { compareStrings } from './model.js';
