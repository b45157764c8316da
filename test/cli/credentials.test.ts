// `holdfast app-password …` and `holdfast token …` against a real store. The secret is
// printed once, alone on stdout, so `pw=$(holdfast app-password create anna)` works.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { dataDirectoryWithStore, holdfast, withOpenStore } from './holdfast-process.ts';

let data: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  data = await dataDirectoryWithStore();
  const added = await holdfast(['user', 'add', 'anna', '--password-stdin', '--data', data.dir], {
    input: 'correct horse battery staple\n',
  });
  assert.equal(added.code, 0, added.stderr);
});
afterEach(async () => {
  await data.cleanup();
});

/** The one line a create command printed on stdout. */
function onlyLine(stdout: string): string {
  const lines = stdout.split('\n');
  assert.equal(lines.length, 2, `exactly one line on stdout, got ${JSON.stringify(stdout)}`);
  assert.equal(lines[1], '');
  return lines[0] ?? '';
}

describe('holdfast app-password', () => {
  it('create prints only the new password, and it signs in as the user', async () => {
    const created = await holdfast(['app-password', 'create', 'anna', '--label', "Anna's phone", '--data', data.dir]);
    assert.equal(created.code, 0, created.stderr);
    const secret = onlyLine(created.stdout);
    assert.ok(!created.stderr.includes(secret), 'the password is not repeated on stderr');
    const result = await withOpenStore(data.dir, (store) => createAccounts(store.accounts).authenticateBasic('anna', secret, 'test'));
    assert.equal(result.kind, 'ok');
    assert.equal(result.kind === 'ok' ? result.via : null, 'app-password');
  });

  it('list shows id, label and dates but never a secret; --json too', async () => {
    const created = await holdfast(['app-password', 'create', 'anna', '--label', 'laptop', '--data', data.dir]);
    const secret = onlyLine(created.stdout);

    const table = await holdfast(['app-password', 'list', 'anna', '--data', data.dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+LABEL\s+CREATED\s+LAST USED\s+REVOKED\n\S+\s+laptop\s+\S+\s+-\s+-\n$/);
    assert.ok(!table.stdout.includes(secret));

    const json = await holdfast(['app-password', 'list', 'anna', '--json', '--data', data.dir]);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(!json.stdout.includes(secret));
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    assert.equal(listed.length, 1);
    assert.deepEqual(Object.keys(listed[0] ?? {}).sort(), ['createdAt', 'id', 'label', 'lastUsedAt', 'revokedAt']);
    assert.equal(listed[0]?.label, 'laptop');
  });

  it('revoke stops the password from signing in and shows it revoked in the list', async () => {
    const secret = onlyLine((await holdfast(['app-password', 'create', 'anna', '--data', data.dir])).stdout);
    const [credential] = JSON.parse((await holdfast(['app-password', 'list', 'anna', '--json', '--data', data.dir])).stdout) as {
      id: string;
    }[];
    assert.ok(credential);

    const revoked = await holdfast(['app-password', 'revoke', 'anna', credential.id, '--data', data.dir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const result = await withOpenStore(data.dir, (store) => createAccounts(store.accounts).authenticateBasic('anna', secret, 'test'));
    assert.equal(result.kind, 'invalid');
    const [after] = JSON.parse((await holdfast(['app-password', 'list', 'anna', '--json', '--data', data.dir])).stdout) as {
      revokedAt: string | null;
    }[];
    assert.notEqual(after?.revokedAt, null);
  });

  it('revoke of an unknown id fails with exit 1 and points at the list', async () => {
    const revoked = await holdfast(['app-password', 'revoke', 'anna', 'nope', '--data', data.dir]);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /"anna" has no app password with id "nope"; 'holdfast app-password list anna' shows them/);
  });

  it('create for a user who does not exist fails with exit 1 and prints nothing on stdout', async () => {
    const created = await holdfast(['app-password', 'create', 'bob', '--data', data.dir]);
    assert.equal(created.code, 1);
    assert.equal(created.stdout, '');
    assert.match(created.stderr, /no user named "bob"; 'holdfast user list' shows the users/);
  });
});

describe('holdfast token', () => {
  it('create prints only the token, with --ttl it expires, and it signs in as the user', async () => {
    const created = await holdfast(['token', 'create', 'anna', '--label', 'backup', '--ttl', '3600', '--data', data.dir]);
    assert.equal(created.code, 0, created.stderr);
    const token = onlyLine(created.stdout);
    const result = await withOpenStore(data.dir, (store) => createAccounts(store.accounts).authenticateBearer(token, 'test'));
    assert.equal(result.kind, 'ok');

    const listed = JSON.parse((await holdfast(['token', 'list', 'anna', '--json', '--data', data.dir])).stdout) as {
      id: string;
      label: string;
      expiresAt: string | null;
    }[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.label, 'backup');
    const expiresIn = Date.parse(listed[0]?.expiresAt ?? '') - Date.now();
    assert.ok(expiresIn > 3500_000 && expiresIn <= 3600_000, `expires in ${expiresIn} ms`);
    assert.ok(!JSON.stringify(listed).includes(token));
  });

  it('list shows the tokens without secrets, and revoke stops one', async () => {
    const token = onlyLine((await holdfast(['token', 'create', 'anna', '--data', data.dir])).stdout);
    const table = await holdfast(['token', 'list', 'anna', '--data', data.dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+LABEL\s+CREATED\s+LAST USED\s+EXPIRES\s+REVOKED\n/);
    assert.ok(!table.stdout.includes(token));
    const id = table.stdout.split('\n')[1]?.split(/\s+/)[0] ?? '';

    const revoked = await holdfast(['token', 'revoke', 'anna', id, '--data', data.dir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const result = await withOpenStore(data.dir, (store) => createAccounts(store.accounts).authenticateBearer(token, 'test'));
    assert.equal(result.kind, 'invalid');
  });

  it('refuses a --ttl that is not a positive whole number with exit 2, creating nothing', async () => {
    for (const ttl of ['0', '-5', '1.5', 'soon']) {
      const created = await holdfast(['token', 'create', 'anna', `--ttl=${ttl}`, '--data', data.dir]);
      assert.equal(created.code, 2, `--ttl=${ttl}`);
      assert.equal(created.stdout, '');
      assert.match(created.stderr, /--ttl takes a whole number of seconds/);
    }
    const listed = await holdfast(['token', 'list', 'anna', '--json', '--data', data.dir]);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});
