import readline from 'node:readline';
import { sql } from 'kysely';
import { createDatabase } from '../../src/adapters/postgres/database';

/*
 * A child process for the database-restart test: it opens a transaction (a
 * checked-out pg client), says `in-transaction`, and waits for a line on
 * stdin (sent once the server has restarted). Its next statement fails; then
 * it queries through the pool until a new connection answers, says
 * `survived` and exits 0. An unhandled 'error' event would kill it first.
 */
async function main(url: string): Promise<void> {
  const db = createDatabase(url, { max: 2 });
  const input = readline.createInterface({ input: process.stdin });
  const restarted = new Promise<void>((resolve) =>
    input.once('line', () => {
      input.close();
      resolve();
    }),
  );
  const transaction = db
    .transaction()
    .execute(async (trx) => {
      await sql`select 1`.execute(trx);
      console.log('in-transaction');
      await restarted;
      await sql`select 2`.execute(trx);
    })
    .then(
      () => 'committed',
      (err: Error) => `failed: ${err.message}`,
    );
  console.log(`transaction ${await transaction}`);
  for (let tries = 0; ; tries++) {
    try {
      await sql`select 1`.execute(db);
      break;
    } catch (err) {
      if (tries > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log('survived');
  await db.destroy();
}

main(process.argv[2]).catch((err) => {
  console.error(err);
  process.exit(1);
});
