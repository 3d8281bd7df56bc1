import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../../config/config';
import { writeDockerEnv } from '../../stack/docker-env';
import { withContext } from '../context';
import { color } from '../output';

/** `algo docker env`: the secrets file docker-compose.yml needs before `docker compose up`. */
export function registerDockerCommands(program: Command): void {
  const docker = program.command('docker').description('the Docker stack (docker-compose.yml)');
  docker
    .command('env')
    .description('write .env with fresh random secrets for docker compose (an existing one is kept)')
    .option('--file <path>', 'where to write it', path.join(PROJECT_ROOT, '.env'))
    .option('--force', 'replace an existing file (its Postgres password no longer opens an existing volume)')
    .action(async (opts: { file: string; force?: boolean }, cmd: Command) =>
      withContext(cmd, async ({ out }) => {
        const file = path.resolve(opts.file);
        const result = writeDockerEnv(file, { force: opts.force });
        out.result({ file, result }, () =>
          result === 'written'
            ? `wrote ${file} with new random secrets; now: docker compose up -d --build`
            : result === 'upgraded'
              ? `${file} kept; its TOKEN_SECRET line is now TOKEN_SECRETS (same secret, links keep working)`
              : color.yellow(`${file} exists and was kept (--force replaces it); docker compose reads it`),
        );
      }),
    );
}
