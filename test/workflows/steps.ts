/** The project's workflow files as data, for the tests that read them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export type Json = Record<string, unknown>;
export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

export const DIR = join(process.cwd(), 'workflows');
export const text = (file: string) => readFileSync(join(DIR, file), 'utf8');
export const load = (file: string) => parse(text(file)) as Json;
export const jobs = (wf: Json) => wf.jobs as Record<string, Json & { steps: Step[] }>;
export const allSteps = (wf: Json): Step[] => Object.values(jobs(wf)).flatMap((j) => j.steps);
export const stepRunning = (wf: Json, command: string): Step => {
  const s = allSteps(wf).find((x) => x.run?.includes(command));
  if (!s) throw new Error(`no step runs ${command}`);
  return s;
};

/** A step's env without the `${{ ... }}` values (secrets, inputs): what runs the same anywhere. */
export const literalEnv = (s: Step): Record<string, string> =>
  Object.fromEntries(Object.entries(s.env ?? {}).filter(([, v]) => !String(v).includes('${{')));
