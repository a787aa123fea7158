/**
 * The list of supported keywords in docs/playbooks.md, made from the keyword table
 * (`node scripts/keywords-doc.mjs` writes it; test/engine/keywords.test.ts checks it).
 */
import { KEYWORDS, keywordNames, type Obj, type Rule } from './keyword-table.js';

const OBJECTS: Obj[] = ['play', 'block', 'task', 'role'];

const RULES: Record<Rule, string> = {
  own: 'no',
  inherit: 'yes, nearest wins',
  extend: 'yes, added to',
  merge: 'yes, merged',
};

export function keywordsMarkdown(): string {
  const rows = keywordNames.map((name) => {
    const kw = KEYWORDS[name];
    const on = OBJECTS.map((o) => ((kw.on as readonly Obj[]).includes(o) ? '✓' : ''));
    return `| \`${name}\` | ${on.join(' | ')} | ${RULES[kw.rule]} | ${kw.doc} |`;
  });
  return [
    '| keyword | play | block | task | role entry | reaches the tasks inside | what fleetplay does |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
