/** Registers the built-in modules (idempotent: safe to import from several entry points). */
import { registerModule } from '../registry.js';
import { assertModule, debug, fail, pause, setFact } from './basic.js';
import { command, shell } from './command.js';
import { uri } from './uri.js';

let done = false;
export function registerBuiltinModules(): void {
  if (done) return;
  done = true;
  for (const m of [debug, assertModule, fail, setFact, pause, command, shell, uri]) registerModule(m);
}
registerBuiltinModules();
