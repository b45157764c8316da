// Debian's python3-caldav library against a real Holdfast server, driven by
// python-caldav-client.py: discovery from the bare server URL, MKCALENDAR, events (one of
// them recurring, in a VTIMEZONE), time-range searches, fetch by URL, updates with an etag,
// delete, a sync-token delta after changes, and a task list. The library runs under Debian's /usr/bin/python3, which is not
// necessarily the python3 first on PATH. Without it the tests are skipped on a developer's
// machine, and fail in CI (CI=true), where .ci/run installs the package.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest } from '../dav/dav-client.ts';
import { commandWorks, describeRun, runClient } from './client-process.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python-caldav-client.py', import.meta.url));
const installed = commandWorks(PYTHON, ['-c', 'import caldav']);
const mustRun = process.env.CI === 'true';

const SINGLE = 'python-single@holdfast.test';
const WEEKLY = 'python-weekly@holdfast.test';
const TODO = 'python-todo@holdfast.test';

interface Found {
  uid: string;
  start: string | null;
  recurrenceId: string | null;
  hasRrule: boolean;
}

describe('python3-caldav (Debian) against a real server', { skip: !installed && !mustRun ? 'python3-caldav is not installed (apt-get install python3-caldav)' : false }, () => {
  let server: Harness;
  let results: Record<string, unknown> = {};
  let output = '';
  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    if (!installed) return;
    const created = await server.accounts.createAppPassword('alice', 'python-caldav');
    assert.equal(created.kind, 'created');
    const run = await runClient(PYTHON, [SCRIPT, `${server.url}/`, 'alice', created.kind === 'created' ? created.secret : '']);
    output = describeRun('python-caldav-client.py', run);
    assert.equal(run.code, 0, output);
    results = JSON.parse(run.stdout) as Record<string, unknown>;
  });
  after(async () => {
    await server.close();
  });

  /** What the script saw at one step; fails with the Python traceback if the step raised. */
  function step<T>(name: string): T {
    assert.ok(installed, `python3-caldav is not installed for ${PYTHON}, and CI=true requires it: .ci/run installs the Debian package "python3-caldav"`);
    const result = results[name] as { error?: string; trace?: string } | undefined;
    assert.ok(result !== undefined, `the script reported no step "${name}":\n${output}`);
    assert.equal(result.error, undefined, `step "${name}" raised:\n${result.trace ?? ''}`);
    return result as T;
  }
  const uids = (found: Found[]): string[] => found.map((entry) => entry.uid);

  test('discovery from the bare server URL finds the principal and the calendar home', () => {
    assert.deepEqual(step('discover'), { principal: `${server.url}/dav/principals/alice/`, calendarHomeSet: `${server.url}/dav/alice/` });
  });

  test('the calendars listed are the new user\'s calendar and task list, not the address book', () => {
    assert.deepEqual(step('calendars'), [`${server.url}/dav/alice/calendar/`, `${server.url}/dav/alice/tasks/`]);
  });

  test('MKCALENDAR makes a calendar with its display name, and it is listed', () => {
    const made = step<{ url: string; displayName: string; listed: string[] }>('makeCalendar');
    assert.equal(made.url, `${server.url}/dav/alice/holidays/`);
    assert.equal(made.displayName, 'Holidays');
    assert.ok(made.listed.includes(made.url), JSON.stringify(made.listed));
  });

  test('a single event and a recurring event in a VTIMEZONE are saved', () => {
    const saved = step<{ single: string; weekly: string }>('saveEvents');
    assert.equal(saved.single, `${server.url}/dav/alice/calendar/python-single%40holdfast.test.ics`);
    assert.equal(saved.weekly, `${server.url}/dav/alice/calendar/python-weekly%40holdfast.test.ics`);
  });

  test('a time-range search finds the single event and the recurring one by its instances', () => {
    assert.deepEqual(uids(step<Found[]>('searchRange')), [SINGLE, WEEKLY]);
    // Only the sixth and last instance (6 April) falls in 1–7 April; none after it.
    assert.deepEqual(uids(step<Found[]>('searchRangeLaterInstance')), [WEEKLY]);
    assert.deepEqual(step<Found[]>('searchRangeAfterLastInstance'), []);
  });

  test('an expanded time-range search answers one component per instance in the range', () => {
    // Holdfast ignores CALDAV:expand (RFC 4791 §9.6.5) and returns the master with its
    // RRULE; python-caldav 0.11 then expands it on the client. The instants are the same
    // either way, so this holds when the server expands too.
    assert.deepEqual(step<Found[]>('searchRangeExpanded'), [
      { uid: SINGLE, start: '2026-03-10T10:00:00+00:00', recurrenceId: null, hasRrule: false },
      { uid: WEEKLY, start: '2026-03-09T08:00:00+00:00', recurrenceId: '2026-03-09T08:00:00+00:00', hasRrule: false },
      { uid: WEEKLY, start: '2026-03-16T08:00:00+00:00', recurrenceId: '2026-03-16T08:00:00+00:00', hasRrule: false },
    ]);
  });

  test('an event is fetched by its URL, with its etag', () => {
    const fetched = step<{ uid: string; summary: string; etag: string }>('fetchByUrl');
    assert.equal(fetched.uid, SINGLE);
    assert.equal(fetched.summary, 'Dentist');
    assert.match(fetched.etag, /^"[^"]+"$/);
  });

  test('a PUT with the current etag updates the event, and one with the old etag answers 412', () => {
    assert.deepEqual(step('updateWithEtag'), { freshStatus: 204, staleStatus: 412, summary: 'Dentist (moved)', etagChanged: true });
  });

  test("the library's own save updates the recurring event", () => {
    assert.deepEqual(step('updateWithLibrary'), { summary: 'Team meeting (room 2)' });
  });

  test('a deleted event is gone and the other remains', () => {
    assert.deepEqual(step('delete'), { gone: true, remaining: [WEEKLY] });
  });

  test('a sync-collection from a token answers only what changed since: the added, the updated and the deleted', () => {
    assert.deepEqual(step('syncToken'), {
      tokenChanged: true,
      deltaUrls: ['python-holiday-1%40holdfast.test.ics', 'python-holiday-2%40holdfast.test.ics', 'python-holiday-3%40holdfast.test.ics'],
      updated: ['Christmas', 'Easter Monday (bank holiday)'],
      deleted: ['python-holiday-2%40holdfast.test.ics'],
      secondSync: [0, 0],
      fullSync: ['python-holiday-1%40holdfast.test.ics', 'python-holiday-3%40holdfast.test.ics'],
    });
  });

  test('a todo in the task list is pending, then completed, and the server holds it completed', async () => {
    const todos = step<{ url: string; pendingBefore: string[]; pendingAfter: string[]; statusesWithCompleted: string[] }>('todos');
    assert.equal(todos.url, `${server.url}/dav/alice/tasks/python-todo%40holdfast.test.ics`);
    assert.deepEqual(todos.pendingBefore, [TODO]);
    assert.deepEqual(todos.pendingAfter, []);
    assert.deepEqual(todos.statusesWithCompleted, ['COMPLETED']);
    const stored = await (await davRequest(server, 'GET', '/dav/alice/tasks/python-todo%40holdfast.test.ics')).text();
    assert.match(stored, /\r\nSTATUS:COMPLETED\r\n/);
    // python-caldav writes it as "COMPLETED;TZID=UTC;VALUE=DATE-TIME:20260301T120000Z".
    assert.match(stored, /\r\nCOMPLETED[;:][^\r]*20260301T120000Z\r\n/);
  });
});
