/**
 * Files a run writes are checked before its first request: a report path that is a directory,
 * or whose folder is missing or read-only, would otherwise fail after every write was sent.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fleetError, type FleetError } from '../errors/index.js';

/** undefined when `path` can be written (created or replaced); else what is wrong and what to write. */
export function checkWritable(path: string | undefined, flag: string): FleetError | undefined {
  if (path === undefined) return undefined;
  if (path.trim() === '') return bad(`${flag} '': no file named`, `name the file to write, e.g. ${flag} report.json`);
  const full = resolve(path);
  const st = statOf(full);
  if (st?.isDirectory())
    return bad(`${flag} ${path}: is a directory`, `name a file in it, e.g. ${flag} ${join(path, 'report.json')}`);
  const dir = dirname(full);
  const parent = statOf(dir);
  if (!parent?.isDirectory())
    return bad(
      `${flag} ${path}: the folder ${dir} does not exist`,
      `create it first, or name a file in an existing folder`,
    );
  try {
    // The report is written to a temporary file beside it and renamed: the folder must be writable.
    accessSync(dir, constants.W_OK);
    if (st) accessSync(full, constants.W_OK);
  } catch {
    return bad(
      `${flag} ${path}: cannot write ${st ? basename(full) : `in ${dir}`} (permission denied)`,
      `name a file in a folder you can write, e.g. ${flag} ${join('/tmp', basename(full))}`,
    );
  }
  return undefined;
}

function statOf(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

const bad = (message: string, hint: string): FleetError => fleetError('run.output-path', message, { hint });
