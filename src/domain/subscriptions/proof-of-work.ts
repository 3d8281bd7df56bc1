/**
 * The subscribe form's proof of work (issue 18 point 3): the browser spends a
 * moment of CPU per request, so flooding the form costs the flooder. The
 * challenge follows ALTCHA's format: find `number` in [0, `maxnumber`] with
 * SHA-256(`salt` + `number`) = `challenge`; `signature` is the server's HMAC
 * of `challenge`, so the server keeps no state until a solution is redeemed.
 */
export interface ProofOfWorkChallenge {
  algorithm: 'SHA-256';
  /** Hex SHA-256 of `salt` followed by the secret number in decimal. */
  challenge: string;
  /** The number is at most this. */
  maxnumber: number;
  /** Random; ends with `?expires=<unix seconds>`. */
  salt: string;
  /** Hex HMAC-SHA256 of `challenge` under the server's key. */
  signature: string;
}

/** Issues and redeems proof-of-work challenges. */
export interface ProofOfWork {
  /** A new challenge. */
  issue(): ProofOfWorkChallenge;
  /**
   * Redeem `payload` (base64 of JSON `{algorithm, challenge, number, salt,
   * signature}`): null when it solves a challenge this server issued, not
   * expired and never redeemed before; otherwise why not, in plain words.
   */
  redeem(payload: string | undefined): Promise<string | null>;
}
