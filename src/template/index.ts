/** Jinja2/Ansible-compatible templating on nunjucks. See docs/playbooks.md, "Templating". */
export { Templar, type Vars, type TemplateContext, type TemplarOptions } from './templar.js';
export { lazyVars, rawVar, type VarWhere } from './lazy.js';
export { UnsafeTexts } from './unsafe.js';
export { NeedsApply, needsApply, Pending, pendingResult, type Awaited } from './pending.js';
export {
  registerFilter,
  registerTest,
  registerLookup,
  type FilterFn,
  type TestFn,
  type LookupFn,
  type LookupContext,
} from './registry.js';
export { Undefined } from './undefined.js';
