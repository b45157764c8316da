// rclone (Debian package `rclone`) against a real Holdfast server's file tree over WebDAV, as
// a photo backup would use it: 200 real JPEGs copied up, checked byte for byte by
// downloading them, then 20 changed and 20 deleted locally and synced. The store must hold
// exactly the local folder afterwards, and the 20 deletes must be recorded deletes in the
// trash, from where they come back. Without rclone the test is skipped on a developer's
// machine, and fails in CI (CI=true), where .ci/run installs it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { UserStore } from '../../src/store/store.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { commandWorks, describeRun, runClient } from './client-process.ts';
import { generatePhoto, type GeneratedPhoto } from './generated-photos.ts';

const PHOTOS = 200;
const SEED = 20_241_125;
const installed = commandWorks('rclone', ['version']);
const mustRun = process.env.CI === 'true';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
// Which photos change between the first copy and the sync: 20 edited, 20 deleted.
const isEdited = (index: number): boolean => index % 10 === 3;
const isDeleted = (index: number): boolean => index % 10 === 7;

/** Every live file under the store's `files` collection, by path inside it, as its hash. */
async function filesInStore(userStore: UserStore): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const collection of await userStore.listCollections()) {
    if (collection.path !== 'files' && !collection.path.startsWith('files/')) continue;
    const prefix = collection.path === 'files' ? '' : `${collection.path.slice('files/'.length)}/`;
    for (const item of (await userStore.listItems(collection.path)) ?? []) found.set(`${prefix}${item.name}`, item.head.contentHash ?? '');
  }
  return found;
}

describe('rclone (WebDAV file tree: copy, check, sync)', { skip: !installed && !mustRun ? 'rclone is not installed (apt-get install rclone)' : false }, () => {
  let server: Harness;
  let workDir: string;
  let local: string;
  let userStore: UserStore;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    workDir = await mkdtemp(join(tmpdir(), 'holdfast-rclone-'));
    local = join(workDir, 'photos');
    const user = await server.store.accounts.getUserByName('alice');
    assert.ok(user);
    userStore = server.store.forUser(user.id);
    const files = await userStore.createCollection({ name: 'files', kind: 'files' });
    assert.ok(files.kind === 'created' || files.kind === 'exists');
    const created = await server.accounts.createAppPassword('alice', 'rclone');
    assert.equal(created.kind, 'created');
    env = { RCLONE_CONFIG_DIR: workDir, RCLONE_CONFIG: join(workDir, 'rclone.conf') };
    if (installed && created.kind === 'created') {
      const obscured = await runClient('rclone', ['obscure', created.secret], { env });
      assert.equal(obscured.code, 0, describeRun('rclone obscure', obscured));
      // The remote "hf", configured the way the docs tell a user to (docs/files.md).
      env = {
        ...env,
        RCLONE_CONFIG_HF_TYPE: 'webdav',
        RCLONE_CONFIG_HF_URL: `${server.url}/dav/alice/`,
        RCLONE_CONFIG_HF_VENDOR: 'other',
        RCLONE_CONFIG_HF_USER: 'alice',
        RCLONE_CONFIG_HF_PASS: obscured.stdout.trim(),
      };
    }
  });
  after(async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  });

  async function rclone(t: TestContext, ...args: string[]): Promise<string> {
    const run = await runClient('rclone', [...args, '--config', join(workDir, 'rclone.conf'), '--low-level-retries', '1', '--retries', '1'], { env });
    t.diagnostic(`rclone ${args.join(' ')}: ${run.milliseconds} ms`);
    assert.equal(run.code, 0, describeRun(`rclone ${args.join(' ')}`, run));
    const log = run.stdout + run.stderr;
    assert.doesNotMatch(log, /\bERROR\b/, describeRun(`rclone ${args.join(' ')}`, run));
    return log;
  }

  async function writeLocal(photo: GeneratedPhoto): Promise<void> {
    await mkdir(dirname(join(local, photo.path)), { recursive: true });
    await writeFile(join(local, photo.path), photo.bytes);
  }

  test(`${PHOTOS} photos copied up arrive byte for byte; 20 edits and 20 deletes synced leave exactly the local folder, the deletes in the trash`, { timeout: 300_000 }, async (t) => {
    assert.ok(installed, 'rclone is not installed, and CI=true requires it: .ci/run installs the Debian package "rclone"');
    t.diagnostic(`photo seed ${SEED}`);
    const originals: GeneratedPhoto[] = [];
    for (let index = 0; index < PHOTOS; index += 1) {
      const photo = await generatePhoto(SEED, index);
      originals.push(photo);
      await writeLocal(photo);
    }

    await rclone(t, 'copy', local, 'hf:files');
    assert.match(await rclone(t, 'check', '--download', local, 'hf:files'), /: 0 differences found/);
    assert.deepEqual(await filesInStore(userStore), new Map(originals.map((photo) => [photo.path, sha256(photo.bytes)])));

    const expected = new Map<string, string>();
    for (const [index, original] of originals.entries()) {
      if (isDeleted(index)) {
        await unlink(join(local, original.path));
      } else if (isEdited(index)) {
        const edited = await generatePhoto(SEED, index, 1);
        // Without modification times (vendor "other"), rclone tells files apart by size.
        assert.notEqual(edited.bytes.length, original.bytes.length, `the edit of ${original.path} has the same size; pick another edit`);
        await writeLocal(edited);
        expected.set(edited.path, sha256(edited.bytes));
      } else {
        expected.set(original.path, sha256(original.bytes));
      }
    }
    assert.equal(expected.size, PHOTOS - 20);

    // rclone carries exactly the changes: 20 uploads over older versions and 20 deletes.
    const synced = await rclone(t, 'sync', '-v', local, 'hf:files');
    assert.equal(synced.match(/: Copied \(replaced existing\)/g)?.length, 20, synced);
    assert.equal(synced.match(/: Deleted$/gm)?.length, 20, synced);
    assert.match(await rclone(t, 'check', '--download', local, 'hf:files'), /: 0 differences found/);
    assert.deepEqual(await filesInStore(userStore), expected);

    // Absence on the client became 20 explicit deletes, each in the trash with its content.
    const deleted = originals.filter((_, index) => isDeleted(index));
    const trash = await userStore.listTrash();
    assert.deepEqual(
      trash.map((item) => item.name).sort(),
      deleted.map((photo) => photo.path.split('/')[1]).sort(),
    );
    for (const photo of deleted) {
      const [folder = '', name = ''] = photo.path.split('/');
      const history = await userStore.history(`files/${folder}`, name);
      assert.equal(history?.[0]?.deleted, true, `${photo.path}: the newest revision is a tombstone`);
      assert.equal(history?.[1]?.contentHash, sha256(photo.bytes), `${photo.path}: the revision before it holds the photo`);
    }
    // …and come back from there whole.
    const [first] = deleted;
    assert.ok(first);
    const [folder = '', name = ''] = first.path.split('/');
    const restored = await userStore.undelete(`files/${folder}`, name, { author: 'test' });
    assert.equal(restored.kind, 'restored');
    assert.equal((await filesInStore(userStore)).get(first.path), sha256(first.bytes));
  });
});
