#!/usr/bin/env node
// Rewrites the keyword list of docs/playbooks.md (between <!-- keywords:start --> and
// <!-- keywords:end -->) from the keyword table in src/engine/keyword-table.ts. Needs `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keywordsMarkdown } from '../dist/engine/keyword-doc.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'playbooks.md');
const doc = readFileSync(file, 'utf8');
const next = doc.replace(
  /(<!-- keywords:start -->\n)[\s\S]*?(<!-- keywords:end -->)/,
  (_m, start, end) => `${start}${keywordsMarkdown()}${end}`,
);
if (next === doc && !doc.includes('<!-- keywords:start -->'))
  throw new Error('no <!-- keywords:start --> in docs/playbooks.md');
writeFileSync(file, next);
