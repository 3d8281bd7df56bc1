import { z } from 'zod';
import { BadInputError } from '../errors';

/*
 * THE email address rule: what the API's bodies, the CLI's arguments and the
 * service accept, and the one canonical form subscribers are stored under.
 */

/** RFC 5321: a path is at most 256 octets with the brackets, so 254 for the address. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const emailSchema = z.email();

/** Why `input` is not an acceptable address, or null when it is (after {@link normaliseEmail}'s trimming). */
export function emailProblem(input: string): string | null {
  if (CONTROL_CHARS.test(input)) return 'invalid email address (control characters)';
  const trimmed = input.trim();
  if (trimmed.length === 0) return 'invalid email address (empty)';
  if (trimmed.length > MAX_EMAIL_LENGTH) return `invalid email address (longer than ${MAX_EMAIL_LENGTH} characters)`;
  if (/[<>]/.test(trimmed)) return 'invalid email address (give the bare address, without a display name)';
  if (!emailSchema.safeParse(trimmed).success) return 'invalid email address';
  if (trimmed.indexOf('@') > MAX_LOCAL_PART_LENGTH)
    return `invalid email address (the part before @ is longer than ${MAX_LOCAL_PART_LENGTH} characters)`;
  return null;
}

/**
 * The canonical form of an address: trimmed and lower-cased (one subscriber
 * per mailbox, whatever case it was typed in). Throws {@link BadInputError}
 * for anything that is not a bare ASCII address: display names, control
 * characters, over-long addresses.
 */
export function normaliseEmail(input: string): string {
  const problem = emailProblem(input);
  if (problem) throw new BadInputError(`${problem}: ${JSON.stringify(input.slice(0, 80))}`);
  return input.trim().toLowerCase();
}

/** A zod schema for request bodies and options: validates like {@link normaliseEmail} and outputs the normalised address. */
export const emailAddressSchema = z
  .string()
  .max(1000)
  .superRefine((value, ctx) => {
    const problem = emailProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value.trim().toLowerCase());

/** Domains whose mailboxes ignore dots in the local part (and the second is the first's old name). */
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The mailbox a canonical address (see {@link normaliseEmail}) delivers to:
 * a plus tag dropped (`v+1@x` is `v@x`), and for Gmail the dots of the local
 * part too (`v.ictim@gmail.com` is `victim@gmail.com`). Limits on what one
 * person may receive count per mailbox, never per spelling.
 */
export function mailboxOf(address: string): string {
  const at = address.lastIndexOf('@');
  let local = address.slice(0, at);
  let domain = address.slice(at + 1).toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (GMAIL_DOMAINS.has(domain)) {
    local = local.replace(/\./g, '');
    domain = 'gmail.com';
  }
  return `${local.toLowerCase()}@${domain}`;
}
