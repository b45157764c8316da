// vdirsyncer (Debian package `vdirsyncer`) syncing 1,000 contacts and 1,000 events between
// a local directory and a real Holdfast server, then edits and deletes on both sides, until
// both sides hold the same items. Without vdirsyncer the test is skipped on a developer's
// machine, and fails in CI (CI=true), where .ci/run installs it.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { basic, startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody } from '../dav/dav-client.ts';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { commandWorks, describeRun, runClient } from './client-process.ts';
import { generateEvent, generateVCard, type GeneratedItem } from './generated-items.ts';

const COUNT = 1000;
const installed = commandWorks('vdirsyncer', ['--version']);
const mustRun = process.env.CI === 'true';

interface Side {
  collection: 'contacts' | 'calendar';
  fileext: '.vcf' | '.ics';
  contentType: string;
  generate: (index: number, edit?: number) => GeneratedItem;
}

const SIDES: Side[] = [
  { collection: 'contacts', fileext: '.vcf', contentType: 'text/vcard; charset=utf-8', generate: generateVCard },
  { collection: 'calendar', fileext: '.ics', contentType: 'text/calendar; charset=utf-8', generate: generateEvent },
];

// Which items each side changes between the first and the second sync: 50 of each kind.
const SERVER_EDITS = 1;
const LOCAL_EDITS = 2;
const changeOf = (index: number): 'server-edit' | 'server-delete' | 'local-edit' | 'local-delete' | 'none' =>
  (['server-edit', 'server-delete', 'local-edit', 'local-delete'] as const)[index % 20] ?? 'none';

function vdirsyncerConfig(workDir: string, serverUrl: string, password: string): string {
  const sections = [`[general]\nstatus_path = "${join(workDir, 'status')}/"\n`];
  for (const side of SIDES) {
    const type = side.collection === 'contacts' ? 'carddav' : 'caldav';
    sections.push(
      `[pair ${side.collection}]\na = "${side.collection}_local"\nb = "${side.collection}_holdfast"\ncollections = null\n`,
      `[storage ${side.collection}_local]\ntype = "filesystem"\npath = "${join(workDir, 'local', side.collection)}/"\nfileext = "${side.fileext}"\n`,
      `[storage ${side.collection}_holdfast]\ntype = "${type}"\nurl = "${serverUrl}/dav/alice/${side.collection}/"\nusername = "alice"\npassword = "${password}"\n`,
    );
  }
  return sections.join('\n');
}

/** Every item in a Holdfast collection, by UID (the item's name without its extension). */
async function serverItems(server: Harness, side: Side): Promise<Map<string, { text: string; etag: string }>> {
  const path = `/dav/alice/${side.collection}/`;
  const entries = await multistatus(await davRequest(server, 'PROPFIND', path, { headers: { depth: '1' }, body: propfindBody('d:getetag') }));
  const items = new Map<string, { text: string; etag: string }>();
  await Promise.all(
    entries
      .filter((entry) => entry.href !== path)
      .map(async (entry) => {
        const response = await davRequest(server, 'GET', entry.href);
        assert.equal(response.status, 200, `GET ${entry.href}`);
        const name = decodeURIComponent(entry.href.slice(path.length));
        items.set(name.slice(0, -side.fileext.length), { text: await response.text(), etag: response.headers.get('etag') ?? '' });
      }),
  );
  return items;
}

async function localItems(dir: string, side: Side): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  for (const name of await readdir(dir)) {
    assert.ok(name.endsWith(side.fileext), `unexpected local file ${name}`);
    items.set(name.slice(0, -side.fileext.length), await readFile(join(dir, name), 'utf8'));
  }
  return items;
}

/** vdirsyncer's log lines for items it copied ("Copying (uploading|updating) item …") or deleted. */
function actionsIn(log: string): string[] {
  return log.split('\n').filter((line) => /^(Copying|Deleting) /.test(line));
}

/**
 * vdirsyncer's warnings, errors and critical messages, but for two that are not: discover's
 * question whether to create a missing collection, and "Deleting an item with no etag.",
 * which vdirsyncer 0.19 logs when it deletes *with* an etag (its test is inverted).
 */
function complaintsIn(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => /^(warning|error|critical):/.test(line))
    .filter((line) => line !== 'warning: Deleting an item with no etag.' && !/^warning: No collection "[^"]+" found for storage \w+\.$/.test(line));
}

function textsOf(items: Map<string, { text: string }>): Map<string, string> {
  return new Map([...items].map(([uid, item]) => [uid, item.text]));
}

/** Runs vdirsyncer and answers its log, after checking it exited cleanly and complained of nothing. */
async function vdirsyncer(t: TestContext, config: string, ...args: string[]): Promise<string> {
  // "y" answers discover's questions: whether to create a collection missing on one side.
  const run = await runClient('vdirsyncer', ['--config', config, ...args], { stdin: 'y\n'.repeat(10) });
  t.diagnostic(`vdirsyncer ${args.join(' ')}: ${run.milliseconds} ms`);
  assert.equal(run.code, 0, describeRun(`vdirsyncer ${args.join(' ')}`, run));
  const log = run.stdout + run.stderr;
  assert.deepEqual(complaintsIn(log), [], describeRun(`vdirsyncer ${args.join(' ')}`, run));
  return log;
}

describe('vdirsyncer (two-way sync of contacts and events)', { skip: !installed && !mustRun ? 'vdirsyncer is not installed (apt-get install vdirsyncer)' : false }, () => {
  let server: Harness;
  let workDir: string;
  let config: string;
  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    workDir = await mkdtemp(join(tmpdir(), 'holdfast-vdirsyncer-'));
    const created = await server.accounts.createAppPassword('alice', 'vdirsyncer');
    assert.equal(created.kind, 'created');
    config = join(workDir, 'config');
    await writeFile(config, vdirsyncerConfig(workDir, server.url, created.kind === 'created' ? created.secret : ''));
    for (const side of SIDES) await mkdir(join(workDir, 'local', side.collection), { recursive: true });
  });
  after(async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  });

  test(`${COUNT} contacts and ${COUNT} events reach the server byte for byte, and 50 edits and 50 deletes on each side converge`, { timeout: 300_000 }, async (t) => {
    assert.ok(installed, 'vdirsyncer is not installed, and CI=true requires it: .ci/run installs the Debian package "vdirsyncer"');
    for (const side of SIDES) {
      const dir = join(workDir, 'local', side.collection);
      for (let index = 0; index < COUNT; index += 1) {
        const item = side.generate(index);
        await writeFile(join(dir, `${item.uid}${side.fileext}`), item.text);
      }
    }

    await vdirsyncer(t, config, 'discover');
    assert.equal(actionsIn(await vdirsyncer(t, config, 'sync')).length, 2 * COUNT, 'the first sync uploads every item once');
    for (const side of SIDES) {
      const expected = new Map(Array.from({ length: COUNT }, (_, index) => side.generate(index)).map((item) => [item.uid, item.text]));
      assert.deepEqual(textsOf(await serverItems(server, side)), expected, `${side.collection} on the server after the first sync`);
    }

    // Server side: as another client would, PUT with If-Match and DELETE with If-Match.
    const started = performance.now();
    for (const side of SIDES) {
      const onServer = await serverItems(server, side);
      const dir = join(workDir, 'local', side.collection);
      for (let index = 0; index < COUNT; index += 1) {
        const { uid, text } = side.generate(index, SERVER_EDITS);
        const href = `/dav/alice/${side.collection}/${uid}${side.fileext}`;
        const etag = onServer.get(uid)?.etag ?? '';
        const change = changeOf(index);
        if (change === 'server-edit') {
          const response = await davRequest(server, 'PUT', href, { headers: { 'if-match': etag, 'content-type': side.contentType }, body: text });
          assert.ok(response.status === 204 || response.status === 200, `PUT ${href}: ${response.status} ${await response.text()}`);
        } else if (change === 'server-delete') {
          const response = await davRequest(server, 'DELETE', href, { headers: { 'if-match': etag } });
          assert.ok(response.status === 204 || response.status === 200, `DELETE ${href}: ${response.status} ${await response.text()}`);
        } else if (change === 'local-edit') {
          await writeFile(join(dir, `${uid}${side.fileext}`), side.generate(index, LOCAL_EDITS).text);
        } else if (change === 'local-delete') {
          await unlink(join(dir, `${uid}${side.fileext}`));
        }
      }
    }
    t.diagnostic(`listing the server, then 50 edits and 50 deletes on each side for both kinds: ${Math.round(performance.now() - started)} ms`);

    // Per kind: 50 updates and 50 deletes copied each way.
    assert.equal(actionsIn(await vdirsyncer(t, config, 'sync')).length, 2 * 200, 'the second sync carries each change once');
    for (const side of SIDES) {
      const expected = new Map<string, string>();
      for (let index = 0; index < COUNT; index += 1) {
        const change = changeOf(index);
        if (change === 'server-delete' || change === 'local-delete') continue;
        const item = side.generate(index, change === 'server-edit' ? SERVER_EDITS : change === 'local-edit' ? LOCAL_EDITS : 0);
        expected.set(item.uid, item.text);
      }
      assert.equal(expected.size, COUNT - 100);
      assert.deepEqual(textsOf(await serverItems(server, side)), expected, `${side.collection} on the server after the second sync`);
      assert.deepEqual(await localItems(join(workDir, 'local', side.collection), side), expected, `${side.collection} in the local directory after the second sync`);
    }

    // vdirsyncer agrees: a third sync finds nothing to copy, update or delete.
    assert.deepEqual(actionsIn(await vdirsyncer(t, config, 'sync')), []);
  });
  test('from the bare server URL vdirsyncer discovers every collection, creates a local calendar on the server, and syncs names and colours', { timeout: 60_000 }, async (t) => {
    assert.ok(installed, 'vdirsyncer is not installed, and CI=true requires it: .ci/run installs the Debian package "vdirsyncer"');
    // bob, so that alice's 1,000 items stay out of this; as a user would, only the server's URL.
    const created = await server.accounts.createAppPassword('bob', 'vdirsyncer');
    assert.equal(created.kind, 'created');
    const secret = created.kind === 'created' ? created.secret : '';
    const dir = join(workDir, 'discovery');
    const remote = (type: string): string => `type = "${type}"\nurl = "${server.url}/"\nusername = "bob"\npassword = "${secret}"\n`;
    const discoveryConfig = join(dir, 'config');
    await mkdir(join(dir, 'calendars', 'holidays'), { recursive: true });
    await writeFile(
      discoveryConfig,
      [
        `[general]\nstatus_path = "${join(dir, 'status')}/"\n`,
        `[pair contacts]\na = "contacts_local"\nb = "contacts_holdfast"\ncollections = ["from b"]\n`,
        `[storage contacts_local]\ntype = "filesystem"\npath = "${join(dir, 'contacts')}/"\nfileext = ".vcf"\n`,
        `[storage contacts_holdfast]\n${remote('carddav')}`,
        `[pair calendars]\na = "calendars_local"\nb = "calendars_holdfast"\ncollections = ["from a", "from b"]\nmetadata = ["displayname", "color"]\n`,
        `[storage calendars_local]\ntype = "filesystem"\npath = "${join(dir, 'calendars')}/"\nfileext = ".ics"\n`,
        `[storage calendars_holdfast]\n${remote('caldav')}`,
      ].join('\n'),
    );
    const holiday = generateEvent(2);
    await writeFile(join(dir, 'calendars', 'holidays', `${holiday.uid}.ics`), holiday.text);
    await writeFile(join(dir, 'calendars', 'holidays', 'displayname'), 'Holidays');
    await writeFile(join(dir, 'calendars', 'holidays', 'color'), '#00AA00');
    const contact = generateVCard(7);
    const put = await davRequest(server, 'PUT', `/dav/bob/contacts/${contact.uid}.vcf`, { as: basic('bob', secret), headers: { 'content-type': 'text/vcard' }, body: contact.text });
    assert.equal(put.status, 201);

    await vdirsyncer(t, discoveryConfig, 'discover');
    await vdirsyncer(t, discoveryConfig, 'sync');
    await vdirsyncer(t, discoveryConfig, 'metasync');

    // Every server collection has a local twin, and the local one is on the server.
    assert.deepEqual((await readdir(join(dir, 'contacts'))).sort(), ['contacts']);
    assert.deepEqual((await readdir(join(dir, 'calendars'))).sort(), ['calendar', 'holidays', 'tasks']);
    assert.equal(await readFile(join(dir, 'contacts', 'contacts', `${contact.uid}.vcf`), 'utf8'), contact.text);
    assert.equal(await readFile(join(dir, 'calendars', 'calendar', 'displayname'), 'utf8'), 'Calendar');
    assert.equal(await readFile(join(dir, 'calendars', 'tasks', 'displayname'), 'utf8'), 'Tasks');
    const onServer = await davRequest(server, 'GET', `/dav/bob/holidays/${holiday.uid}.ics`, { as: basic('bob', secret) });
    assert.equal(onServer.status, 200);
    assert.equal(await onServer.text(), holiday.text);
    const [holidays] = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/bob/holidays/', { as: basic('bob', secret), headers: { depth: '0' }, body: propfindBody('d:resourcetype', 'd:displayname', 'ical:calendar-color') }),
    );
    assert.ok(holidays);
    assert.ok(holidays.props.get(`{${NS.dav}}resourcetype`)?.element.children.some((child) => child.ns === NS.caldav && child.name === 'calendar'), 'holidays is a calendar');
    assert.equal(holidays.props.get(`{${NS.dav}}displayname`)?.element.text, 'Holidays');
    assert.equal(holidays.props.get(`{${NS.apple}}calendar-color`)?.element.text, '#00AA00');
  });
});
