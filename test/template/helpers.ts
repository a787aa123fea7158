import { FleetFailure } from '../../src/errors/index.js';

/** Runs fn and returns the FleetFailure it throws; anything else (or nothing) fails the test. */
export function failure(fn: () => unknown): FleetFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof FleetFailure) return e;
    throw e;
  }
  throw new Error('expected a FleetFailure');
}
