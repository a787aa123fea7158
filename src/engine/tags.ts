/**
 * --tags / --skip-tags as ansible 2.14 applies them: `always` runs unless skipped by name,
 * `never` runs only when asked for by name, `tagged` / `untagged` / `all` are special.
 */
import { effective } from './keywords.js';
import type { TaskNode } from './model.js';

export interface TagFilter {
  tags: string[];
  skip: string[];
}

/** Tag names from `tags:` values (a list, or a comma separated string). */
export function tagNames(values: unknown[]): Set<string> {
  return new Set(
    values
      .flatMap((x) => String(x).split(','))
      .map((x) => x.trim())
      .filter(Boolean),
  );
}

export function taskTags(t: TaskNode): Set<string> {
  return tagNames(effective(t, 'tags'));
}

export function selectedByTags(t: TaskNode, f: TagFilter): boolean {
  const tags = taskTags(t);
  const only = f.tags.length ? f.tags : ['all'];
  let run = false;
  if (tags.has('always') && !f.skip.includes('always')) run = true;
  else if (only.includes('all') && !tags.has('never')) run = true;
  else if (only.includes('tagged') && tags.size > 0 && !tags.has('never')) run = true;
  else if (only.includes('untagged') && tags.size === 0) run = true;
  else if ([...tags].some((x) => only.includes(x))) run = true;
  if (!run) return false;
  if (f.skip.includes('all') && !(tags.has('always') && !f.skip.includes('always'))) return false;
  if (f.skip.includes('tagged') && tags.size > 0) return false;
  if (f.skip.includes('untagged') && tags.size === 0) return false;
  return ![...tags].some((x) => f.skip.includes(x));
}
