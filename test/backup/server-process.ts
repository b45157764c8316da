// A real `holdfast serve` process for the end-to-end backup tests, and a user to sign in as.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { openStore } from '../../src/store/open-store.ts';
import { BIN, environment } from '../cli/holdfast-process.ts';

const START_TIMEOUT_MS = 60_000;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait: the server ships what is left to its targets first. */
  stop: () => Promise<number | null>;
  /** SIGKILL: the machine is gone. */
  kill: () => Promise<void>;
}

/** `port` 0 takes a free one; another reuses a port (a server coming back at its old address). */
export async function startServerProcess(dataDir: string, env: Record<string, string>, port = 0): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', String(port)], {
    env: { ...environment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), START_TIMEOUT_MS);
    const look = (chunk: string) => {
      output += chunk;
      const match = /Holdfast listening on (http:\/\/[^ ]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.setEncoding('utf8').on('data', look);
    child.stderr?.setEncoding('utf8').on('data', look);
    void closed.then(() => {
      clearTimeout(timer);
      reject(new Error(`the server exited before it listened:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return closed;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    },
  };
}

/** Makes a store with user "anna" in `dataDir` and returns an Authorization header for her. */
export async function storeWithUser(dataDir: string): Promise<{ authorization: string; storeId: string }> {
  const opened = await openStore({ dataDir, initializeIfEmpty: true });
  if (opened.kind !== 'opened') throw new Error(opened.reason);
  try {
    const accounts = createAccounts(opened.store.accounts);
    const added = await accounts.addUser('anna', 'a long enough password for anna');
    if (added.kind !== 'created') throw new Error(`could not add anna: ${JSON.stringify(added)}`);
    const secret = await accounts.createAppPassword('anna', 'backup test');
    if (secret.kind !== 'created') throw new Error('could not make an app password');
    return {
      authorization: `Basic ${Buffer.from(`anna:${secret.secret}`).toString('base64')}`,
      storeId: (await opened.store.identity()).storeId,
    };
  } finally {
    await opened.store.close();
  }
}
