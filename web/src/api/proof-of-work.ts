import { api } from './client';

/** Hex SHA-256 of `text` (WebCrypto: the page must be served over https or from localhost). */
async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The `altcha` of a subscribe request: asks the server for a challenge and
 * finds the number whose SHA-256 with the salt is the challenge (ALTCHA's
 * format). Undefined when the server asks for none (404).
 */
export async function solveProofOfWork(): Promise<string | undefined> {
  const { data, response } = await api.GET('/subscriptions/challenge');
  if (response.status === 404 || !data) return undefined;
  for (let number = 0; number <= data.maxnumber; number++) {
    if ((await sha256Hex(`${data.salt}${number}`)) === data.challenge) {
      const { algorithm, challenge, salt, signature } = data;
      return btoa(JSON.stringify({ algorithm, challenge, number, salt, signature }));
    }
  }
  throw new Error('the anti-spam check could not be solved: reload the page and try again');
}
