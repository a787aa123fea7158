/**
 * The Mender modules (mender_facts, mender_os_update, mender_config), registered into the
 * module registry on import, with their per-run service (sessions, request counts, the fatal OTA error).
 */
import { registerModule, registerService } from '../registry.js';
import { menderConfigModule } from './config-module.js';
import { menderFactsModule } from './facts-module.js';
import { menderOsUpdateModule } from './os-module.js';
import { menderService } from './session.js';

export { MenderSessions, menderService } from './session.js';
export type { MenderFacts } from './facts.js';

let done = false;
export function registerMenderModules(): void {
  if (done) return;
  done = true;
  for (const m of [menderFactsModule, menderOsUpdateModule, menderConfigModule]) registerModule(m);
  registerService(menderService);
}
registerMenderModules();
