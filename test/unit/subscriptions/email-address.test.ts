import { BadInputError } from '../../../src/domain/errors';
import { emailAddressSchema, emailProblem, MAX_EMAIL_LENGTH, normaliseEmail } from '../../../src/domain/subscriptions';

// THE email rule: normaliseEmail (service, CLI) and emailAddressSchema (API bodies) accept and refuse alike.
describe('the email address rule', () => {
  it.each([
    ['Ann@Example.COM', 'ann@example.com'],
    ['  bob+signals@x.io ', 'bob+signals@x.io'],
    ["o'reilly@example.org", "o'reilly@example.org"],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  ])('accepts %j as %j, the same by function and by schema', (input, expected) => {
    expect(emailProblem(input)).toBeNull();
    expect(normaliseEmail(input)).toBe(expected);
    expect(emailAddressSchema.parse(input)).toBe(expected);
  });

  it.each([
    ['Ann <ann@example.com>', 'display name'],
    ['ann@example.com\r\nBcc: x@y.z', 'control characters'],
    ['ann\u0000@example.com', 'control characters'],
    ['ann@example.com\u2028', 'control characters'],
    ['ü@example.com', 'invalid email address'],
    ['ann@example', 'invalid email address'],
    ['', 'empty'],
    ['   ', 'empty'],
    [`${'a'.repeat(65)}@example.com`, 'part before @'],
    [`a@${'b'.repeat(MAX_EMAIL_LENGTH)}.com`, `longer than ${MAX_EMAIL_LENGTH}`],
    ["'; drop table subscribers; --@x.io", 'invalid email address'],
  ])('refuses %j (%s), the same by function and by schema', (input, reason) => {
    expect(emailProblem(input)).toContain(reason);
    expect(() => normaliseEmail(input)).toThrow(BadInputError);
    const parsed = emailAddressSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].message).toBe(emailProblem(input));
  });

  it('quotes at most 80 characters of a refused address in the error', () => {
    expect(() => normaliseEmail(`<${'x'.repeat(500)}>`)).toThrow(/^invalid email address \(.*\): "<x{79}"$/);
  });
});
