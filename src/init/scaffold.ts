/**
 * `fleetplay init`: the files of a new fleet repository, from the templates shipped in the
 * package (templates/fleet/) and its workflows (workflows/ → .github/workflows/), and a
 * package.json that installs this fleetplay. Nothing a user has is overwritten without --force.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { err, fleetError, ok, type Result } from '../errors/index.js';

/** The package's root (this file is dist/init/ or src/init/). */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const TEMPLATE_DIR = join(PACKAGE_DIR, 'templates', 'fleet');
const WORKFLOWS_DIR = join(PACKAGE_DIR, 'workflows');

/** npm leaves `.gitignore` out of a package: the template is named `gitignore`. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

export interface FleetFile {
  /** Relative to the fleet repository, `/`-separated. */
  path: string;
  text: string;
}

const PackageJson = z.object({ name: z.string(), version: z.string() });

/** Every file `fleetplay init` writes into a repository named `name`, sorted by path. */
export function fleetFiles(name: string): FleetFile[] {
  const templates = filesUnder(TEMPLATE_DIR).map((f) => ({
    path: RENAMED[f] ?? f,
    text: readFileSync(join(TEMPLATE_DIR, f), 'utf8'),
  }));
  const workflows = filesUnder(WORKFLOWS_DIR).map((f) => ({
    path: `.github/workflows/${f}`,
    text: readFileSync(join(WORKFLOWS_DIR, f), 'utf8'),
  }));
  const files = [...templates, ...workflows, { path: 'package.json', text: packageJson(name) }];
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** The fleet repository's package.json: private, with this fleetplay as its one dev dependency. */
function packageJson(name: string): string {
  const self = PackageJson.parse(JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')));
  const pkg = {
    name: npmName(name),
    private: true,
    description: 'Fleet repository: inventory and promotion stages, run by fleetplay',
    scripts: { plan: 'fleetplay plan', monitor: 'fleetplay monitor' },
    devDependencies: { [self.name]: `^${self.version}` },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** A directory name as npm takes a package name: lower case, no spaces, no leading dot or _. */
function npmName(dirName: string): string {
  const n = dirName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return n || 'fleet';
}

export interface InitResult {
  dir: string;
  written: string[];
}

/** Writes the fleet repository's files into `dir`; refuses, naming each, any that exists unless `force`. */
export function initFleet(target: string, o: { force?: boolean } = {}): Result<InitResult> {
  const dir = resolve(target);
  const files = fleetFiles(basename(dir));
  const existing = files.filter((f) => existsSync(join(dir, f.path))).map((f) => f.path);
  if (existing.length && !o.force) {
    return err(
      fleetError('init.exists', `already has ${existing.length} of the files fleetplay init writes`, {
        file: dir,
        context: { files: existing },
        hint: `${existing.join(', ')} would be overwritten: run fleetplay init --force to replace them (their content is lost), or init an empty directory`,
      }),
    );
  }
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
  return ok({ dir, written: files.map((f) => f.path) });
}
