import { z } from 'zod';

const emailSchema = z.email();

/** Addresses are stored trimmed and lower-case (the unique index is case-insensitive anyway). */
export function normalizeEmail(input: string): string | null {
  const email = input.trim().toLowerCase();
  if (!email || email.length > 320) return null;
  return emailSchema.safeParse(email).success ? email : null;
}
