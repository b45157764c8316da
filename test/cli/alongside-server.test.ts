// The way people use it: `holdfast serve` creates the store, and the account commands run
// while the server is up. What they change is what the running server answers next.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, environment, holdfast, temporaryDirectory } from './holdfast-process.ts';

let temporary: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let server: ChildProcess;
let baseUrl: string;
let serverStderr = '';

before(async () => {
  temporary = await temporaryDirectory();
  dataDir = join(temporary.dir, 'data');
  server = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', '0'], {
    env: environment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    serverStderr += chunk;
  });
  baseUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
      if (url !== undefined) resolve(url);
    });
    server.on('exit', (code) => reject(new Error(`holdfast serve exited with ${code}: ${output}`)));
  });
});

after(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await temporary.cleanup();
});

function whoami(user: string, secret: string): Promise<number> {
  const authorization = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  return fetch(`${baseUrl}/api/v1/whoami`, { headers: { authorization } }).then((response) => response.status);
}

describe('account commands alongside a running server', () => {
  it('the first start tells the person, in plain words on stderr, how to create the first user', async () => {
    for (let i = 0; i < 50 && !serverStderr.includes('user add'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(serverStderr, new RegExp(`serving ${baseUrl.replace(/[.]/g, '\\.')} from ${dataDir}`));
    assert.ok(serverStderr.includes(`  holdfast user add NAME --data ${dataDir}\n`), serverStderr);
    assert.match(serverStderr, /set HOLDFAST_STORE_ID=[0-9a-f-]{36}/);
  });

  it('a user and an app password made by the command sign in to the server at once, and revoking one stops it', async () => {
    const added = await holdfast(['user', 'add', 'anna', '--password-stdin', '--data', dataDir], { input: 'correct horse battery staple\n' });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(await whoami('anna', 'correct horse battery staple'), 200);

    const created = await holdfast(['app-password', 'create', 'anna', '--label', 'phone', '--data', dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim();
    assert.equal(await whoami('anna', secret), 200);

    const [credential] = JSON.parse((await holdfast(['app-password', 'list', 'anna', '--json', '--data', dataDir])).stdout) as { id: string }[];
    assert.ok(credential);
    assert.equal((await holdfast(['app-password', 'revoke', 'anna', credential.id, '--data', dataDir])).code, 0);
    assert.equal(await whoami('anna', secret), 401);
  });

  it('status reads the store the server is serving', async () => {
    const status = await holdfast(['status', '--json', '--data', dataDir]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { users: number }).users, 1);
  });
});
