import { z } from 'zod';

/** Variables: any mapping from names to values. */
export const VarsSchema = z.record(z.string(), z.unknown());

/** A host entry: its own variables, or nothing (`host:` alone). */
export const HostEntrySchema = VarsSchema.nullable();

/**
 * One group in an Ansible YAML inventory. Unknown keys are errors (ansible only warns
 * and skips them, which silently drops what the user meant, e.g. a misspelt `host:`).
 */
export const GroupSchema = z.strictObject({
  hosts: z.record(z.string(), HostEntrySchema).nullable().optional(),
  // explicit type: TypeScript cannot infer a self-referencing getter
  get children(): z.ZodOptional<z.ZodNullable<z.ZodRecord<z.ZodString, z.ZodNullable<typeof GroupSchema>>>> {
    return z.record(z.string(), GroupSchema.nullable()).nullable().optional();
  },
  vars: VarsSchema.nullable().optional(),
});

export const InventoryFileSchema = z.record(z.string(), GroupSchema.nullable());

/** z.infer stops at the recursion (children come out as unknown); restate that one key. */
export type GroupNode = Omit<z.infer<typeof GroupSchema>, 'children'> & { children?: Record<string, GroupNode | null> | null };
export type InventoryFile = Record<string, GroupNode | null>;
export type Vars = z.infer<typeof VarsSchema>;

export const GROUP_KEYS = ['hosts', 'children', 'vars'] as const;
