// WebDAV locking beyond what litmus checks: the If header's grammar and meaning, the lock
// table's rules (conflicts, expiry on an injected clock, users walled off), and, against a
// real server, the 423 body, another user's locks, expiry, and a Depth infinity lock on a
// folder guarding what is put inside it.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DEFAULT_LOCK_SECONDS, MAX_LOCK_SECONDS, timeoutSecondsOf } from '../../src/protocols/dav/locks/lock-methods.ts';
import { createMemoryLockManager, type LockRequest } from '../../src/protocols/dav/locks/lock-manager.ts';
import { evaluateIf, parseIfHeader, submittedTokens, type IfList, type ResourceState } from '../../src/protocols/dav/locks/if-header.ts';
import { NS, childElement, childElements } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody, xmlBody } from './dav-client.ts';

function lists(header: string): IfList[] {
  const parsed = parseIfHeader(header);
  assert.equal(parsed.kind, 'ok', parsed.kind === 'invalid' ? parsed.message : '');
  return parsed.kind === 'ok' ? parsed.lists : [];
}

describe('the If header (RFC 4918 §10.4)', () => {
  test('untagged lists read state tokens, entity tags and Not, in order', () => {
    assert.deepEqual(lists('(<urn:uuid:a> ["e1"]) (Not <DAV:no-lock>)'), [
      { resource: null, conditions: [{ not: false, kind: 'token', token: 'urn:uuid:a' }, { not: false, kind: 'etag', etag: '"e1"' }] },
      { resource: null, conditions: [{ not: true, kind: 'token', token: 'DAV:no-lock' }] },
    ]);
  });

  test('tagged lists belong to the resource before them, several lists to one tag', () => {
    assert.deepEqual(lists('<http://h/dav/a/f/x> (<urn:uuid:a>) (["e"])  </dav/a/f/y>(NOT[W/"w"])'), [
      { resource: 'http://h/dav/a/f/x', conditions: [{ not: false, kind: 'token', token: 'urn:uuid:a' }] },
      { resource: 'http://h/dav/a/f/x', conditions: [{ not: false, kind: 'etag', etag: '"e"' }] },
      { resource: '/dav/a/f/y', conditions: [{ not: true, kind: 'etag', etag: 'W/"w"' }] },
    ]);
  });

  test('Not needs no space before the condition, and line folding is whitespace', () => {
    assert.deepEqual(lists('(Not<urn:uuid:b>\r\n\t["x"])'), [
      { resource: null, conditions: [{ not: true, kind: 'token', token: 'urn:uuid:b' }, { not: false, kind: 'etag', etag: '"x"' }] },
    ]);
  });

  for (const [header, why] of [
    ['', 'empty'],
    ['   ', 'blank'],
    ['(<urn:uuid:a>', 'a list not closed'],
    ['()', 'an empty list'],
    ['(<urn:uuid:a>) <http://h/x> (<urn:uuid:b>)', 'a tag after untagged lists'],
    ['<http://h/x>', 'a tag without a list'],
    ['<http://h/x> <http://h/y> (<urn:uuid:b>)', 'two tags in a row'],
    ['(urn:uuid:a)', 'a token without < >'],
    ['([etag])', 'an unquoted entity tag'],
    ['(<urn:uuid:a b>)', 'a token with a space in it'],
    ['(<>)', 'an empty token'],
    ['(<urn:uuid:a>) x', 'text after the lists'],
  ] as const) {
    test(`a malformed header is refused with a message: ${why}`, () => {
      const parsed = parseIfHeader(header);
      assert.equal(parsed.kind, 'invalid');
      if (parsed.kind === 'invalid') assert.match(parsed.message, /^The If header is malformed at character \d+: .+RFC 4918 §10\.4/);
    });
  }

  const state = (tokens: string[], etag: string | null): ResourceState => ({ etag, hasLockToken: (token) => tokens.includes(token) });
  const holds = (header: string, states: Record<string, ResourceState>): boolean => evaluateIf(lists(header), (resource) => states[resource ?? 'request'] ?? state([], null));

  test('a list holds when every condition holds; the header holds when any list does', () => {
    const request = { request: state(['urn:uuid:a'], '"e1"') };
    assert.equal(holds('(<urn:uuid:a> ["e1"])', request), true);
    assert.equal(holds('(<urn:uuid:a> ["e2"])', request), false, 'a stale ETag fails the list');
    assert.equal(holds('(<urn:uuid:a> ["e2"]) (["e1"])', request), true, 'the second list holds');
    assert.equal(holds('(<DAV:no-lock>)', request), false, 'DAV:no-lock is never a lock');
    assert.equal(holds('(Not <DAV:no-lock>)', request), true);
    assert.equal(holds('(Not <urn:uuid:a>)', request), false);
    assert.equal(holds('(<urn:uuid:ax>) (Not <DAV:no-lock>)', request), true, 'litmus cond_put_corrupt_token: the header holds, the token is not submitted');
  });

  test('entity tags compare strongly: a weak tag and a resource without an ETag never match', () => {
    assert.equal(holds('([W/"e1"])', { request: state([], '"e1"') }), false);
    assert.equal(holds('(Not [W/"e1"])', { request: state([], '"e1"') }), true);
    assert.equal(holds('(["e1"])', { request: state([], null) }), false);
  });

  test('tagged lists are evaluated against the resource they name', () => {
    const states = { 'http://h/dav/a/f/': state(['urn:uuid:folder'], null), request: state([], '"e"') };
    assert.equal(holds('<http://h/dav/a/f/> (<urn:uuid:folder>)', states), true);
    assert.equal(holds('<http://h/dav/a/f/x> (<urn:uuid:folder>)', states), false, 'an unknown resource has no lock');
  });

  test('every state token in the header is submitted, in any list and under Not', () => {
    assert.deepEqual([...submittedTokens(lists('<http://h/x> (<urn:uuid:a> ["e"]) (Not <urn:uuid:b>)'))].sort(), ['urn:uuid:a', 'urn:uuid:b']);
  });
});

describe('the Timeout header', () => {
  test('Second-N is taken as asked, up to the cap of one day', () => {
    assert.equal(timeoutSecondsOf('Second-600'), 600);
    assert.equal(timeoutSecondsOf('second-600'), 600);
    assert.equal(timeoutSecondsOf('Second-4100000000'), MAX_LOCK_SECONDS);
    assert.equal(MAX_LOCK_SECONDS, 86_400);
  });
  test('Infinite is capped; the first value understood wins; none or garbage is the default of an hour', () => {
    assert.equal(timeoutSecondsOf('Infinite, Second-60'), MAX_LOCK_SECONDS);
    assert.equal(timeoutSecondsOf('Minute-5, Second-60'), 60);
    assert.equal(timeoutSecondsOf(undefined), DEFAULT_LOCK_SECONDS);
    assert.equal(timeoutSecondsOf('soon'), DEFAULT_LOCK_SECONDS);
    assert.equal(DEFAULT_LOCK_SECONDS, 3600);
  });
});

describe('the lock table', () => {
  const request = (path: string, scope: 'exclusive' | 'shared', depth: 0 | 'infinity' = 0): LockRequest => ({ path, href: `/dav/a/${path}`, scope, depth, owner: null, timeoutSeconds: 60 });

  test('an exclusive lock conflicts with any other; shared locks share', () => {
    const locks = createMemoryLockManager();
    assert.equal(locks.acquire(1, request('f/x', 'shared')).kind, 'locked');
    assert.equal(locks.acquire(1, request('f/x', 'shared')).kind, 'locked');
    assert.equal(locks.acquire(1, request('f/x', 'exclusive')).kind, 'conflict');
    assert.equal(locks.acquire(1, request('f/y', 'exclusive')).kind, 'locked');
    assert.equal(locks.acquire(1, request('f/y', 'shared')).kind, 'conflict');
  });

  test('a Depth infinity lock covers what is beneath it, and conflicts with locks there', () => {
    const locks = createMemoryLockManager();
    assert.equal(locks.acquire(1, request('f/x', 'exclusive')).kind, 'locked');
    const onFolder = locks.acquire(1, request('f', 'exclusive', 'infinity'));
    assert.equal(onFolder.kind, 'conflict');
    assert.equal(onFolder.kind === 'conflict' ? onFolder.conflicting.path : '', 'f/x');
    assert.equal(locks.acquire(1, request('f', 'exclusive', 0)).kind, 'locked', 'Depth 0 on the folder leaves its members alone');
    assert.equal(locks.acquire(1, request('g', 'exclusive', 'infinity')).kind, 'locked');
    assert.equal(locks.acquire(1, request('g/deep/z', 'shared')).kind, 'conflict');
    assert.deepEqual(locks.covering(1, 'g/deep/z').map((lock) => lock.path), ['g']);
    assert.deepEqual(locks.covering(1, 'gg').map((lock) => lock.path), [], 'a sibling whose name starts alike is not beneath');
    assert.deepEqual(locks.within(1, 'f').map((lock) => lock.path).sort(), ['f', 'f/x']);
  });

  test('users are walled off: the same path and another user\'s token are not theirs', () => {
    const locks = createMemoryLockManager();
    const mine = locks.acquire(1, request('f/x', 'exclusive'));
    assert.equal(mine.kind, 'locked');
    const token = mine.kind === 'locked' ? mine.lock.token : '';
    assert.equal(locks.acquire(2, request('f/x', 'exclusive')).kind, 'locked');
    assert.equal(locks.byToken(2, token), undefined);
    assert.equal(locks.release(2, token), false);
    assert.equal(locks.refresh(2, token, 60), undefined);
    assert.equal(locks.count(1), 1);
    assert.equal(locks.byToken(1, token)?.path, 'f/x');
  });

  test('a lock expires at its timeout on the manager\'s clock; a refresh restarts it', () => {
    let now = 1_000_000;
    const locks = createMemoryLockManager({ now: () => now });
    const taken = locks.acquire(1, request('f/x', 'exclusive'));
    const token = taken.kind === 'locked' ? taken.lock.token : '';
    now += 59_000;
    assert.ok(locks.refresh(1, token, 60));
    now += 59_000;
    assert.equal(locks.count(1), 1, 'the refresh gave it another minute');
    now += 1_000;
    assert.equal(locks.count(1), 0);
    assert.equal(locks.byToken(1, token), undefined);
    assert.equal(locks.acquire(1, request('f/x', 'exclusive')).kind, 'locked', 'the path is free again');
  });

  test('one user holds a limited number of locks', () => {
    const locks = createMemoryLockManager({ maxLocksPerUser: 2 });
    assert.equal(locks.acquire(1, request('a', 'exclusive')).kind, 'locked');
    assert.equal(locks.acquire(1, request('b', 'exclusive')).kind, 'locked');
    assert.deepEqual(locks.acquire(1, request('c', 'exclusive')), { kind: 'too-many', limit: 2 });
    assert.equal(locks.acquire(2, request('c', 'exclusive')).kind, 'locked', 'the limit is per user');
  });
});

const LOCKINFO = (scope: 'exclusive' | 'shared', owner = '<d:owner><d:href>mailto:alice@example.org</d:href> (Finder)</d:owner>'): string =>
  `<?xml version="1.0" encoding="utf-8"?><d:lockinfo xmlns:d="DAV:"><d:lockscope><d:${scope}/></d:lockscope><d:locktype><d:write/></d:locktype>${owner}</d:lockinfo>`;

describe('locks on a real server', () => {
  let server: Harness;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let fileNumber = 0;
  before(async () => {
    server = await startHarness({ davLocks: createMemoryLockManager({ now: () => now }) });
    for (const name of ['alice', 'bob'] as const) {
      const user = await server.store.accounts.getUserByName(name);
      assert.ok(user);
      assert.equal((await server.store.forUser(user.id).getCollection('files'))?.kind, 'files');
    }
  });
  after(() => server.close());
  beforeEach(() => {
    fileNumber += 1;
  });

  const as = (user: 'alice' | 'bob'): string => server.appPassword[user];
  async function put(path: string, body: string, headers: Record<string, string> = {}, user: 'alice' | 'bob' = 'alice'): Promise<Response> {
    return davRequest(server, 'PUT', path, { body, headers, as: as(user) });
  }
  async function lock(path: string, options: { scope?: 'exclusive' | 'shared'; depth?: string; timeout?: string; user?: 'alice' | 'bob' } = {}): Promise<{ response: Response; token: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/xml', depth: options.depth ?? '0' };
    if (options.timeout) headers.timeout = options.timeout;
    const response = await davRequest(server, 'LOCK', path, { body: LOCKINFO(options.scope ?? 'exclusive'), headers, as: as(options.user ?? 'alice') });
    const token = /^<(.+)>$/.exec(response.headers.get('lock-token') ?? '')?.[1] ?? '';
    return { response, token };
  }
  async function discovered(path: string, user: 'alice' | 'bob' = 'alice'): Promise<string[]> {
    const [entry] = await multistatus(await davRequest(server, 'PROPFIND', path, { body: propfindBody('d:lockdiscovery'), headers: { depth: '0' }, as: as(user) }));
    const value = entry?.props.get(`{${NS.dav}}lockdiscovery`);
    assert.equal(value?.status, 200);
    return childElements(value.element, NS.dav, 'activelock').map((active) => childElement(childElement(active, NS.dav, 'locktoken') ?? active, NS.dav, 'href')?.text ?? '');
  }
  const text = async (path: string): Promise<string> => (await davRequest(server, 'GET', path)).text();
  /** The href inside the error body's precondition element. */
  async function conditionHref(response: Response, condition: string): Promise<string | undefined> {
    const element = childElement(await xmlBody(response), NS.dav, condition);
    assert.ok(element, `the error body names ${condition}`);
    return childElement(element, NS.dav, 'href')?.text;
  }

  test('LOCK answers the token in Lock-Token and the lock in lockdiscovery, the owner verbatim and the timeout capped', async () => {
    const path = `/dav/alice/files/report-${fileNumber}.txt`;
    assert.equal((await put(path, 'draft')).status, 201);
    const { response, token } = await lock(path, { timeout: 'Infinite, Second-4100000000' });
    assert.equal(response.status, 200);
    assert.match(token, /^urn:uuid:[0-9a-f-]{36}$/);
    const body = await xmlBody(response);
    assert.equal(body.name, 'prop');
    const active = childElement(childElement(body, NS.dav, 'lockdiscovery') ?? body, NS.dav, 'activelock');
    assert.ok(active);
    const child = (name: string) => childElement(active, NS.dav, name);
    assert.ok(child('lockscope') && childElement(child('lockscope') ?? active, NS.dav, 'exclusive'));
    assert.ok(child('locktype') && childElement(child('locktype') ?? active, NS.dav, 'write'));
    assert.equal(child('depth')?.text, '0');
    assert.equal(child('timeout')?.text, 'Second-86400');
    assert.equal(childElement(child('locktoken') ?? active, NS.dav, 'href')?.text, token);
    assert.equal(childElement(child('lockroot') ?? active, NS.dav, 'href')?.text, path);
    const owner = child('owner');
    assert.equal(childElement(owner ?? active, NS.dav, 'href')?.text, 'mailto:alice@example.org');
    assert.equal(owner?.text.trim(), '(Finder)');
    assert.deepEqual(await discovered(path), [token]);
  });

  test('a write without the token is 423 naming the locked root in lock-token-submitted, and changes nothing', async () => {
    const path = `/dav/alice/files/locked-${fileNumber}.txt`;
    await put(path, 'original');
    const { token } = await lock(path);
    const refused = await put(path, 'overwritten');
    assert.equal(refused.status, 423);
    assert.equal(refused.headers.get('content-type'), 'application/xml; charset=utf-8');
    const error = await xmlBody(refused);
    assert.equal(error.name, 'error');
    const submitted = childElement(error, NS.dav, 'lock-token-submitted');
    assert.ok(submitted);
    assert.equal(childElement(submitted, NS.dav, 'href')?.text, path);
    assert.match(childElement(error, NS.holdfast, 'message')?.text ?? '', /is locked; send its lock token in an If header/);
    assert.equal(await text(path), 'original');
    for (const [method, headers] of [
      ['DELETE', {}],
      ['MOVE', { destination: `/dav/alice/files/elsewhere-${fileNumber}.txt` }],
      ['PROPPATCH', { 'content-type': 'application/xml' }],
    ] as const) {
      const body = method === 'PROPPATCH' ? '<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><x xmlns="urn:t">1</x></d:prop></d:set></d:propertyupdate>' : undefined;
      const response = await davRequest(server, method, path, { headers, ...(body ? { body } : {}) });
      assert.equal(response.status, 423, method);
    }
    const other = `/dav/alice/files/other-${fileNumber}.txt`;
    await put(other, 'other');
    const copyOnto = await davRequest(server, 'COPY', other, { headers: { destination: path } });
    assert.equal(copyOnto.status, 423, 'COPY onto the locked resource');
    assert.equal(await text(path), 'original');

    const withToken = await put(path, 'saved', { if: `(<${token}>)` });
    assert.equal(withToken.status, 204);
    assert.equal(await text(path), 'saved');
    assert.deepEqual(await discovered(path), [token], 'a write with the token keeps the lock');
  });

  test('an If header that does not hold is 412, a malformed one 400; neither changes anything', async () => {
    const path = `/dav/alice/files/cond-${fileNumber}.txt`;
    const etag = (await put(path, 'one')).headers.get('etag') ?? '';
    assert.equal((await put(path, 'two', { if: '(["not-the-etag"])' })).status, 412);
    assert.equal((await put(path, 'two', { if: '(<urn:uuid:never-issued>)' })).status, 412);
    assert.equal((await put(path, 'two', { if: '(<urn:uuid:x>' })).status, 400);
    assert.equal(await text(path), 'one');
    assert.equal((await put(path, 'two', { if: `([${etag}])` })).status, 204, 'the current ETag holds');
    assert.equal((await put(path, 'three', { if: `<${server.url}${path}> (Not ["stale"])` })).status, 204, 'a tagged list on the resource holds');
  });

  test('another user neither sees, uses, releases nor breaks a lock', async () => {
    const path = `/dav/alice/files/private-${fileNumber}.txt`;
    const bobs = `/dav/bob/files/private-${fileNumber}.txt`;
    await put(path, 'alice');
    await put(bobs, 'bob', {}, 'bob');
    const { token } = await lock(path);
    assert.deepEqual(await discovered(bobs, 'bob'), [], 'the same path in bob\'s space is not locked');
    assert.equal((await put(bobs, 'bob 2', {}, 'bob')).status, 204);
    assert.equal((await put(bobs, 'bob 3', { if: `(<${token}>)` }, 'bob')).status, 412, "alice's token is no lock of bob's");
    const unlock = await davRequest(server, 'UNLOCK', bobs, { headers: { 'lock-token': `<${token}>` }, as: as('bob') });
    assert.equal(unlock.status, 409);
    assert.equal(await conditionHref(unlock, 'lock-token-matches-request-uri'), undefined);
    const onAlice = await davRequest(server, 'UNLOCK', path, { headers: { 'lock-token': `<${token}>` }, as: as('bob') });
    assert.equal(onAlice.status, 404, "alice's URL is answered as if it did not exist");
    assert.equal((await lock(path, { user: 'bob' })).response.status, 404);
    assert.deepEqual(await discovered(path), [token], 'the lock is intact');
  });

  test('an expired lock is gone: writes need no token, lockdiscovery is empty, its token is refused', async () => {
    const path = `/dav/alice/files/expiring-${fileNumber}.txt`;
    await put(path, 'v1');
    const { token } = await lock(path, { timeout: 'Second-120' });
    now += 60_000;
    const refresh = await davRequest(server, 'LOCK', path, { headers: { if: `(<${token}>)`, timeout: 'Second-120' } });
    assert.equal(refresh.status, 200);
    assert.equal(refresh.headers.get('lock-token'), null, 'a refresh answers no new token');
    now += 100_000;
    assert.equal((await put(path, 'v2')).status, 423, 'the refresh gave it 120 seconds more');
    now += 21_000;
    assert.deepEqual(await discovered(path), []);
    assert.equal((await put(path, 'v2')).status, 204);
    const stale = await davRequest(server, 'LOCK', path, { headers: { if: `(<${token}>)` } });
    assert.equal(stale.status, 412, 'refreshing an expired lock');
    const unlock = await davRequest(server, 'UNLOCK', path, { headers: { 'lock-token': `<${token}>` } });
    assert.equal(unlock.status, 409);
  });

  test('a Depth infinity lock on a folder blocks a PUT inside it without the token and allows it with', async () => {
    const folder = `/dav/alice/files/album-${fileNumber}/`;
    assert.equal((await davRequest(server, 'MKCOL', folder)).status, 201);
    await put(`${folder}old.jpg`, 'old');
    const { response, token } = await lock(folder, { depth: 'infinity' });
    assert.equal(response.status, 200);

    const refused = await put(`${folder}new.jpg`, 'pixels');
    assert.equal(refused.status, 423);
    assert.equal(await conditionHref(refused, 'lock-token-submitted'), folder);
    assert.equal((await davRequest(server, 'GET', `${folder}new.jpg`)).status, 404, 'nothing was created');
    assert.equal((await put(`${folder}old.jpg`, 'changed')).status, 423, 'members are covered');
    assert.equal((await davRequest(server, 'MKCOL', `${folder}sub/`)).status, 423);
    assert.equal((await davRequest(server, 'DELETE', folder)).status, 423);

    assert.equal((await put(`${folder}new.jpg`, 'pixels', { if: `(<${token}>)` })).status, 201);
    assert.equal((await put(`${folder}old.jpg`, 'changed', { if: `<${server.url}${folder}> (<${token}>)` })).status, 204, 'tagged with the lock root, as neon sends it');
    assert.deepEqual(await discovered(`${folder}new.jpg`), [token], 'lockdiscovery of a member shows the folder\'s lock');

    // A refresh through a member (litmus indirect_refresh) and an UNLOCK through one.
    assert.equal((await davRequest(server, 'LOCK', `${folder}new.jpg`, { headers: { if: `(<${token}>)` } })).status, 200);
    assert.equal((await davRequest(server, 'UNLOCK', `${folder}new.jpg`, { headers: { 'lock-token': `<${token}>` } })).status, 204);
    assert.equal((await put(`${folder}new.jpg`, 'free')).status, 204);
  });

  test('a Depth 0 lock on a folder guards its membership, not its members\' content', async () => {
    const folder = `/dav/alice/files/shallow-${fileNumber}/`;
    await davRequest(server, 'MKCOL', folder);
    await put(`${folder}a.txt`, 'a');
    const { token } = await lock(folder, { depth: '0' });
    assert.equal((await put(`${folder}a.txt`, 'a2')).status, 204, 'replacing content leaves the membership as it was');
    assert.equal((await put(`${folder}b.txt`, 'b')).status, 423, 'a new member');
    assert.equal((await davRequest(server, 'DELETE', `${folder}a.txt`)).status, 423, 'removing a member');
    // The lock is on the folder, not on a.txt: an untagged list is about the request URL, so
    // it does not hold there; the token goes in a list tagged with the folder.
    assert.equal((await davRequest(server, 'DELETE', `${folder}a.txt`, { headers: { if: `(<${token}>)` } })).status, 412);
    assert.equal((await davRequest(server, 'DELETE', `${folder}a.txt`, { headers: { if: `<${folder}> (<${token}>)` } })).status, 204);
  });

  test('a DELETE or MOVE of a locked resource, with its token, removes the lock; a COPY does not copy it', async () => {
    const deleted = `/dav/alice/files/gone-${fileNumber}.txt`;
    await put(deleted, 'x');
    const first = await lock(deleted);
    assert.equal((await davRequest(server, 'DELETE', deleted, { headers: { if: `(<${first.token}>)` } })).status, 204);
    assert.equal((await put(deleted, 'again')).status, 201, 'the URL is free again');
    assert.deepEqual(await discovered(deleted), []);

    const moved = `/dav/alice/files/moving-${fileNumber}.txt`;
    const target = `/dav/alice/files/moved-${fileNumber}.txt`;
    const copy = `/dav/alice/files/copied-${fileNumber}.txt`;
    await put(moved, 'y');
    const second = await lock(moved);
    assert.equal((await davRequest(server, 'COPY', moved, { headers: { destination: copy } })).status, 201);
    assert.deepEqual(await discovered(copy), []);
    assert.equal((await davRequest(server, 'MOVE', moved, { headers: { destination: target, if: `(<${second.token}>)` } })).status, 201);
    assert.deepEqual(await discovered(target), []);
    assert.equal((await put(moved, 'new')).status, 201);
    assert.equal((await davRequest(server, 'UNLOCK', target, { headers: { 'lock-token': `<${second.token}>` } })).status, 409);
  });

  test('a LOCK on an unmapped URL makes an empty file (201) inside a collection, and nowhere else', async () => {
    const path = `/dav/alice/files/placeholder-${fileNumber}.docx`;
    const { response, token } = await lock(path);
    assert.equal(response.status, 201);
    const get = await davRequest(server, 'GET', path);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-length'), '0');
    assert.equal((await put(path, 'content', { if: `(<${token}>)` })).status, 204);
    assert.equal((await lock(`/dav/alice/loose-${fileNumber}.txt`)).response.status, 409, 'not directly in the home');
    assert.equal((await lock(`/dav/alice/missing-${fileNumber}/x.txt`)).response.status, 409, 'not in a missing collection');
    assert.equal((await lock(`/dav/alice/contacts/empty-${fileNumber}.vcf`)).response.status, 409, 'not in an address book');
    assert.equal((await davRequest(server, 'GET', `/dav/alice/contacts/empty-${fileNumber}.vcf`)).status, 404);
    assert.equal((await lock('/dav/alice/')).response.status, 403, 'the home cannot be locked');
  });

  test('shared locks share a resource; an exclusive one is refused with no-conflicting-lock', async () => {
    const path = `/dav/alice/files/shared-${fileNumber}.txt`;
    await put(path, 's');
    const one = await lock(path, { scope: 'shared' });
    const two = await lock(path, { scope: 'shared' });
    assert.equal(one.response.status, 200);
    assert.equal(two.response.status, 200);
    assert.deepEqual((await discovered(path)).sort(), [one.token, two.token].sort());
    const exclusive = await lock(path);
    assert.equal(exclusive.response.status, 423);
    assert.equal(await conditionHref(exclusive.response, 'no-conflicting-lock'), path);
    assert.equal((await put(path, 't', { if: `(<${two.token}>)` })).status, 204, 'either shared token will do');
  });

  test('bad LOCK and UNLOCK requests are 400 with a message', async () => {
    const path = `/dav/alice/files/bad-${fileNumber}.txt`;
    await put(path, 'b');
    assert.equal((await lock(path, { depth: '1' })).response.status, 400);
    const noScope = await davRequest(server, 'LOCK', path, { body: '<d:lockinfo xmlns:d="DAV:"><d:locktype><d:write/></d:locktype></d:lockinfo>' });
    assert.equal(noScope.status, 400);
    assert.match(await noScope.text(), /lockscope of either exclusive or shared/);
    assert.equal((await davRequest(server, 'LOCK', path)).status, 400, 'no body and no If header');
    assert.equal((await davRequest(server, 'UNLOCK', path)).status, 400, 'no Lock-Token');
    assert.equal((await davRequest(server, 'UNLOCK', path, { headers: { 'lock-token': 'urn:uuid:no-brackets' } })).status, 400);
  });

  test('PROPFIND shows supportedlock and lockdiscovery, by name and in allprop', async () => {
    const [folder] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/files/', { headers: { depth: '0' } }));
    const supported = folder?.props.get(`{${NS.dav}}supportedlock`);
    assert.equal(supported?.status, 200);
    const scopes = childElements(supported.element, NS.dav, 'lockentry').map((entry) => childElement(entry, NS.dav, 'lockscope')?.children[0]?.name);
    assert.deepEqual(scopes, ['exclusive', 'shared']);
    assert.equal(folder?.props.get(`{${NS.dav}}lockdiscovery`)?.status, 200);
  });
});
