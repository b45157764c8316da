// `holdfast serve`: runs the server until SIGTERM or SIGINT, then shuts down gracefully.
// Its flags are the server's settings (src/server/config-options.ts), so they are listed
// from that table rather than written out here.
import { parseArgs } from 'node:util';
import { CONFIG_FILE_OPTION, CONFIG_OPTIONS, loadConfig } from '../server/config.ts';
import { ShutdownTimeoutError, waitForShutdownSignal } from '../server/shutdown.ts';
import { ServerStartError, startServer } from '../server/start-server.ts';
import { EXIT, failure, usageError, writeLine } from './command.ts';
import type { CliIo } from './io.ts';

type FlagSpec = { type: 'string' | 'boolean'; short?: string };

const SERVE_OPTIONS: Record<string, FlagSpec> = {
  ...Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.flag, { type: o.type === 'boolean' ? 'boolean' : 'string' } satisfies FlagSpec])),
  [CONFIG_FILE_OPTION.flag]: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function flagLine(flag: string, placeholder: string, env: string, text: string): string {
  return `  ${`--${flag}${placeholder ? ` ${placeholder}` : ''}`.padEnd(36)} ${text} (${env})`;
}

export const SERVE_USAGE = `Usage: holdfast serve [OPTIONS]

Runs the Holdfast server. On first start in an empty data directory it creates a new
store and says how to add the first user. It runs until SIGTERM or SIGINT, then finishes
the requests in flight and exits.

Options (each can also be set with the environment variable shown, or in the config file):
${CONFIG_OPTIONS.map((o) => flagLine(o.flag, o.placeholder, o.env, `default ${o.default ?? 'unset'}`)).join('\n')}
${flagLine(CONFIG_FILE_OPTION.flag, 'FILE', CONFIG_FILE_OPTION.env, 'a JSON file of settings')}

Flags win over the environment, which wins over the config file. Every setting is
described in docs/configuration.md.

Exit codes: 0 stopped cleanly, 1 failed to start or to stop in time, 2 invalid settings.
`;

export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: SERVE_OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    return usageError(io, `serve: ${error instanceof Error ? error.message : String(error)}`, SERVE_USAGE);
  }
  const { help, ...flags } = values;
  if (help === true) {
    io.stdout.write(SERVE_USAGE);
    return EXIT.ok;
  }

  const loaded = await loadConfig({ flags, env: io.env });
  if (loaded.kind === 'invalid') {
    // Before anything touches the data directory.
    writeLine(io.stderr, 'holdfast serve: the settings are not valid:');
    for (const error of loaded.errors) writeLine(io.stderr, `  ${error}`);
    return EXIT.usage;
  }

  // Listening before the store opens: a signal during start-up (a long migration) then
  // stops the server once it is up, instead of killing it half-way.
  const shutdown = waitForShutdownSignal((message) => writeLine(io.stderr, `holdfast: ${message}`));
  try {
    let running;
    try {
      running = await startServer(loaded.config, { log: (line) => io.stdout.write(line) });
    } catch (error) {
      if (error instanceof ServerStartError) return failure(io, error.message);
      throw error;
    }

    // The log on stdout is for machines; a person at a terminal reads this.
    writeLine(io.stderr, `holdfast: serving ${running.url} from ${loaded.config.dataDir} (store ${running.storeId}); Ctrl-C stops it`);
    if (running.initialized) {
      writeLine(io.stderr, `holdfast: this is a new, empty store. Create the first user with:`);
      writeLine(io.stderr, `  holdfast user add NAME --data ${loaded.config.dataDir}`);
      writeLine(io.stderr, `holdfast: then set HOLDFAST_STORE_ID=${running.storeId} so a missing or unmounted disk is refused, not mistaken for an empty store`);
    }
    const signal = await shutdown.signal;
    writeLine(io.stderr, `holdfast: received ${signal}; finishing requests in flight (up to ${loaded.config.shutdownTimeoutSeconds} s)`);
    try {
      await running.close();
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof ShutdownTimeoutError)) throw error;
      // The cut-off connections are closed, but if anything else still holds the process
      // open, it must not outlive the deadline it was given. (unref: this timer alone does
      // not keep the process alive.)
      setTimeout(() => process.exit(EXIT.failed), 2_000).unref();
      return failure(io, `shutdown gave up: ${error.message}`);
    }
  } finally {
    shutdown.dispose();
  }
}
