/**
 * The mender_* modules in the registry. Until the OTA work registers them on import
 * (src/modules/mender/index.ts), the demo does it; registering twice is harmless.
 */
import { registerModule } from '../modules/registry.js';
import { menderConfigModule } from '../modules/mender/config-module.js';
import { menderFactsModule } from '../modules/mender/facts-module.js';
import { menderOsUpdateModule } from '../modules/mender/os-module.js';

export function registerMender(): void {
  for (const m of [menderFactsModule, menderOsUpdateModule, menderConfigModule]) registerModule(m);
}
