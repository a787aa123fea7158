/** Seeding simulated devices from an Ansible inventory (waits for src/inventory on main). */
import { err, fleetError, type FleetError, type Result } from '../errors/index.js';
import type { ParsedFleetSpec } from './spec.js';

export async function seedFromInventory(_spec: ParsedFleetSpec, sources: string[]): Promise<Result<ParsedFleetSpec, FleetError[]>> {
  return err([fleetError('server.inventory-unsupported', `cannot seed from ${sources.join(', ')}: inventory loading is not available yet`, { hint: 'use --spec FILE or --devices N' })]);
}
