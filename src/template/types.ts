/** Types shared by the Templar and the lazy variable views (kept apart so neither imports the other's module for them). */
export type Vars = Record<string, unknown>;

export interface TemplateContext {
  file?: string;
  line?: number;
  task?: string;
  host?: string;
}

/** What a lazy view needs of the Templar: templating a value with the view itself. */
export interface Templates {
  template(value: unknown, vars: Vars, ctx?: TemplateContext): unknown;
}
