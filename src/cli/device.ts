// `holdfast device …`: this machine as one of the account's devices — a full, durable
// replica of the user's data in a state directory, kept in sync with the server, that
// heals the server if it forgets and can be exported as plain files.
import { runSubcommand } from './command.ts';
import type { Command } from './command.ts';
import { DEVICE_EXPORT_HELP, DEVICE_EXPORT_USAGE, deviceExport } from './device-export.ts';
import { DEVICE_STATUS_HELP, DEVICE_STATUS_USAGE, deviceStatus } from './device-status.ts';
import { DEVICE_SYNC_HELP, DEVICE_SYNC_USAGE, deviceSync } from './device-sync.ts';

const USAGE = `Usage:
${DEVICE_SYNC_USAGE}${DEVICE_EXPORT_USAGE}${DEVICE_STATUS_USAGE}
Keep a full copy of an account on this machine (a laptop that always holds the
family's data), in the state directory DIR: a SQLite replica and device.json.
These commands talk to a server over HTTP; they do not open a data directory.

${DEVICE_SYNC_HELP}
${DEVICE_EXPORT_HELP}
${DEVICE_STATUS_HELP}
Options:
  --server URL             the server's base URL (sync)
  --user NAME              the account (sync); DIR keeps that account for good
  --state DIR              the device's state directory
  --password-stdin         read the password from the first line of stdin (sync)
  --watch                  keep syncing until SIGINT/SIGTERM (sync)
  --interval SECONDS       with --watch: a full sync at least this often, even
                           with no news from the server (default 300)
  --confirm-mass-change    apply a pull the mass-change guard paused (sync)
  --server-moved           DIR may sync with another store at a new address (sync)
  --to OUTDIR              where to write (export)
  --json                   print JSON instead of text
  --help, -h               show this help
`;

export const deviceCommand: Command = {
  name: 'device',
  summary: 'keep a full replica of an account on this machine: sync, export, status',
  usage: USAGE,
  run: (args, io) =>
    runSubcommand(
      io,
      'device',
      USAGE,
      {
        sync: (rest, subIo) => deviceSync(rest, subIo, USAGE),
        export: (rest, subIo) => deviceExport(rest, subIo, USAGE),
        status: (rest, subIo) => deviceStatus(rest, subIo, USAGE),
      },
      args,
    ),
};
