import { z } from 'zod';

/**
 * Which brand a row belongs to, so several brands can share one database (an agency): every row the store keeps
 * carries one, and a store opened for a brand reads and changes that brand's rows only. A database made before
 * brands existed holds the default brand's rows, so a single-brand install never sets one.
 */
export const DEFAULT_BRAND = 'default';

/** Short, stable, safe in a key or a log line: lowercase letters, digits and dashes. */
export const BrandIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 'a brand id of 1 to 40 lowercase letters, digits and dashes (e.g. klm or oranje-air)');

export type BrandId = z.infer<typeof BrandIdSchema>;
