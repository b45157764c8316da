// The contract every ReplicaStore engine passes: SQLite on Node
// (replica-contract-sqlite.test.ts) and IndexedDB in real Chromium
// (browser-replica-contract.test.ts, which bundles this file into a page). So it imports
// nothing from Node and checks with its own small assertions.
import type { ReplicaCollection, ReplicaCursor, ReplicaRevision, ReplicaStore } from '../../client/replica.ts';

export interface ReplicaEngine {
  /** Opens the replica of this name; the same name opens the same replica again. */
  open(name: string): Promise<ReplicaStore>;
}

export interface ContractCase {
  name: string;
  /** `name` is a replica name no other case or run uses. */
  run(engine: ReplicaEngine, name: string): Promise<void>;
}

// Uint8Arrays as hex and keys sorted, so two values compare by what they hold.
function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  }
  return value;
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(canonical(actual));
  const e = JSON.stringify(canonical(expected));
  if (a !== e) throw new Error(`${what}: expected ${e.slice(0, 400)}, got ${a.slice(0, 400)}`);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const text = (s: string) => new TextEncoder().encode(s);

function revision(id: string, fields: Partial<ReplicaRevision> = {}): ReplicaRevision {
  const content = fields.deleted ? null : text(`content of ${id}`);
  return {
    id,
    collectionPath: 'notes',
    kind: 'notes',
    item: 'a.txt',
    parentId: null,
    deleted: false,
    content,
    contentHash: content ? `hash-of-${id}` : null,
    contentType: content ? 'text/plain' : null,
    author: 'device:contract',
    createdAt: '2026-01-02T03:04:05.006Z',
    local: true,
    state: 'pending',
    refusal: null,
    ...fields,
  };
}

const cursorOne: ReplicaCursor = { cursor: 'c-1', storeId: 'store-a', generation: 1, sequence: 10 };
const cursorTwo: ReplicaCursor = { cursor: null, storeId: 'store-b', generation: 2, sequence: 0 };

/** Opens the replica, runs the body and closes it even when the body fails. */
async function withReplica(engine: ReplicaEngine, name: string, body: (replica: ReplicaStore) => Promise<void>): Promise<void> {
  const replica = await engine.open(name);
  try {
    await body(replica);
  } finally {
    await replica.close();
  }
}

const ids = (revisions: ReplicaRevision[]) => revisions.map((r) => r.id);

export const replicaContract: ContractCase[] = [
  {
    name: "an item's head is the revision last made head, and the log keeps arrival order",
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        // Ids that sort differently from their arrival, so order by id would show.
        const first = revision('z-first');
        const second = revision('a-second', { parentId: 'z-first', content: text('v2'), state: 'acked', local: false });
        const other = revision('m-other', { collectionPath: 'contacts', kind: 'contacts', item: 'ada.vcf', contentType: 'text/vcard' });
        const loggedOnly = revision('b-logged', { parentId: 'z-first', content: text('a sibling'), local: false, state: 'acked' });
        await replica.addRevision(first, true);
        await replica.addRevision(second, true);
        await replica.addRevision(other, true);
        await replica.addRevision(loggedOnly, false);

        same(ids(await replica.log()), ['z-first', 'a-second', 'm-other', 'b-logged'], 'the log in arrival order');
        same(await replica.getRevision('b-logged'), loggedOnly, 'a revision comes back with every field');
        same(await replica.getRevision('a-second'), second, 'a pulled revision comes back with every field');
        same(await replica.getRevision('nope'), undefined, 'an unknown revision');
        same(
          await replica.getItem('notes', 'a.txt'),
          { collectionPath: 'notes', kind: 'notes', name: 'a.txt', headId: 'a-second', deleted: false, content: text('v2'), contentType: 'text/plain' },
          'the item at its head',
        );
        same(await replica.getItem('notes', 'b.txt'), undefined, 'an unknown item');
        same(
          (await replica.listItems()).map((i) => [i.collectionPath, i.name, i.headId]),
          [
            ['contacts', 'ada.vcf', 'm-other'],
            ['notes', 'a.txt', 'a-second'],
          ],
          'every item, by collection then name',
        );
      }),
  },
  {
    name: 'listing one collection gives its items by name and nothing from a collection whose path starts the same',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        for (const [id, collectionPath, item] of [
          ['r1', 'notes', 'b.txt'],
          ['r2', 'notes-archive', 'a.txt'],
          ['r3', 'notes', 'a.txt'],
          ['r4', 'notes/sub', 'c.txt'],
          ['r5', 'note', 'z.txt'],
        ] as const) {
          await replica.addRevision(revision(id, { collectionPath, item }), true);
        }
        same((await replica.listItems('notes')).map((i) => i.name), ['a.txt', 'b.txt'], "the notes collection's items");
        same((await replica.listItems('nothing-here')).length, 0, 'an empty collection');
      }),
  },
  {
    name: 'the outbox holds pending revisions oldest first and lets go of each once acked or refused',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        await replica.addRevision(revision('p-3', { item: 'one' }), true);
        await replica.addRevision(revision('pulled', { item: 'two', local: false, state: 'acked' }), true);
        await replica.addRevision(revision('p-1', { item: 'three' }), true);
        await replica.addRevision(revision('p-2', { item: 'one', parentId: 'p-3' }), true);
        same(ids(await replica.outbox()), ['p-3', 'p-1', 'p-2'], 'the outbox, oldest first');

        await replica.setState('p-1', 'acked');
        same(ids(await replica.outbox()), ['p-3', 'p-2'], 'an acked revision leaves the outbox');
        await replica.setState('p-3', 'refused', 'too-large: content over the limit');
        same(ids(await replica.outbox()), ['p-2'], 'a refused revision leaves the outbox');
        const refused = await replica.getRevision('p-3');
        same([refused?.state, refused?.refusal], ['refused', 'too-large: content over the limit'], 'the refusal is kept with the revision');
        same((await replica.getRevision('p-1'))?.refusal, null, 'no refusal on an acked revision');

        await replica.setState('not-held', 'acked');
        same(ids(await replica.log()), ['p-3', 'pulled', 'p-1', 'p-2'], 'a state change keeps the log order; an unknown id changes nothing');
      }),
  },
  {
    name: 'a revision already held is ignored (its place and state stay) while making it head still moves the head',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        const first = revision('r-1');
        await replica.addRevision(first, true);
        await replica.addRevision(revision('r-2', { parentId: 'r-1', content: text('second') }), true);
        await replica.addRevision({ ...first, state: 'acked', local: false }, false);
        same(ids(await replica.log()), ['r-1', 'r-2'], 'no second copy in the log');
        same((await replica.getRevision('r-1'))?.state, 'pending', 'the held copy keeps its state');
        same((await replica.getItem('notes', 'a.txt'))?.headId, 'r-2', 'logging a held revision leaves the head');

        await replica.applyPull([{ revision: { ...first, state: 'acked', local: false }, makeHead: true }], cursorOne);
        same(ids(await replica.log()), ['r-1', 'r-2'], 'a pull of a held revision adds nothing to the log');
        same((await replica.getRevision('r-1'))?.state, 'pending', 'nor changes its state');
        same((await replica.getItem('notes', 'a.txt'))?.headId, 'r-1', 'but puts the head back on it');
        same(ids(await replica.outbox()), ['r-1', 'r-2'], 'the outbox is unchanged');
      }),
  },
  {
    name: 'the log without content names every revision in order with content null; live items are counted and revision states read without reading content',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        await replica.addRevision(revision('m-1'), true);
        await replica.addRevision(revision('m-2', { parentId: 'm-1', deleted: true }), true);
        await replica.addRevision(revision('m-3', { item: 'b.txt' }), true);
        await replica.addRevision(revision('m-4', { item: 'c.txt', state: 'acked', local: false }), true);
        const full = await replica.log();
        const bare = await replica.log({ content: false });
        same(ids(bare), ids(full), 'the same revisions in the same order');
        same(bare.map((r) => r.content), [null, null, null, null], 'no content');
        same(
          bare.map((r) => ({ ...r, content: null })),
          full.map((r) => ({ ...r, content: null })),
          'every other field as the full log has it',
        );
        same(bare[0]?.contentHash, 'hash-of-m-1', 'the hash still names the content');
        same(await replica.countLiveItems(), 2, 'b.txt and c.txt are live; a.txt is deleted');
        same(await replica.revisionState('m-1'), 'pending', 'a local revision waiting for the server');
        same(await replica.revisionState('m-4'), 'acked', 'a pulled revision');
        await replica.setState('m-3', 'refused', 'invalid-content: not a note');
        same(await replica.revisionState('m-3'), 'refused', 'the state follows setState');
        same(await replica.revisionState('not-held'), undefined, 'a revision the device does not hold');
      }),
  },
  {
    name: 'a tombstone made head leaves the item deleted, with no content',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        await replica.addRevision(revision('live'), true);
        await replica.addRevision(revision('gone', { parentId: 'live', deleted: true }), true);
        same(
          await replica.getItem('notes', 'a.txt'),
          { collectionPath: 'notes', kind: 'notes', name: 'a.txt', headId: 'gone', deleted: true, content: null, contentType: null },
          'the deleted item',
        );
        same((await replica.getRevision('live'))?.content, text('content of live'), 'the revision before the delete keeps its content');
      }),
  },
  {
    name: 'a pull applies all its steps and its cursor together',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        await replica.applyPull(
          [
            { revision: revision('s-1', { local: false, state: 'acked' }), makeHead: true },
            { revision: revision('s-2', { item: 'b.txt', local: false, state: 'acked' }), makeHead: true },
            { revision: revision('s-3', { parentId: 'other', local: false, state: 'acked' }), makeHead: false },
          ],
          cursorOne,
        );
        same(ids(await replica.log()), ['s-1', 's-2', 's-3'], 'every step logged in order');
        same((await replica.listItems()).map((i) => i.headId), ['s-1', 's-2'], 'heads where the steps said');
        same(await replica.getCursor(), cursorOne, 'the cursor after the pull');
        same((await replica.outbox()).length, 0, 'pulled revisions are not in the outbox');
      }),
  },
  {
    name: 'within one pull, steps apply in order: the last made head wins, and a revision named twice is held once',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        const pulled = (id: string, fields: Partial<ReplicaRevision> = {}) => revision(id, { local: false, state: 'acked', ...fields });
        await replica.applyPull(
          [
            { revision: pulled('o-1'), makeHead: true },
            { revision: pulled('o-2', { parentId: 'o-1', content: text('two') }), makeHead: true },
            { revision: pulled('o-1'), makeHead: false },
            { revision: pulled('o-3', { parentId: 'o-2', content: text('three') }), makeHead: true },
            { revision: pulled('o-4', { parentId: 'o-2', content: text('sibling') }), makeHead: false },
            { revision: pulled('o-2', { parentId: 'o-1', content: text('two') }), makeHead: true },
          ],
          cursorOne,
        );
        same(ids(await replica.log()), ['o-1', 'o-2', 'o-3', 'o-4'], 'each revision once, in the order first named');
        const item = await replica.getItem('notes', 'a.txt');
        same([item?.headId, item?.content], ['o-2', text('two')], 'the head of the last step that made one');
      }),
  },
  {
    name: 'a pull that fails part way applies nothing, not even its cursor, and the replica goes on working',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        await replica.addRevision(revision('before'), true);
        await replica.setCursor(cursorOne);
        const logBefore = await replica.log();
        // No engine can store an item without a collection: SQLite's NOT NULL, IndexedDB's key.
        const broken = revision('broken', { collectionPath: null as unknown as string, local: false, state: 'acked' });
        let failed = false;
        try {
          await replica.applyPull(
            [
              { revision: revision('applied-first', { parentId: 'before', content: text('new'), local: false, state: 'acked' }), makeHead: true },
              { revision: revision('new-item', { item: 'new.txt', local: false, state: 'acked' }), makeHead: true },
              { revision: broken, makeHead: true },
            ],
            cursorTwo,
          );
        } catch {
          failed = true;
        }
        check(failed, 'a pull with a revision no engine can store must fail');
        same(await replica.log(), logBefore, 'the log as before the pull');
        same(await replica.getRevision('applied-first'), undefined, 'the first step is not held');
        same((await replica.getItem('notes', 'a.txt'))?.headId, 'before', 'the head as before the pull');
        same(await replica.getItem('notes', 'new.txt'), undefined, 'no new item');
        same(await replica.getCursor(), cursorOne, 'the cursor as before the pull');

        await replica.applyPull([{ revision: revision('after', { parentId: 'before', local: false, state: 'acked' }), makeHead: true }], cursorTwo);
        same((await replica.getItem('notes', 'a.txt'))?.headId, 'after', 'a later pull applies');
        same(await replica.getCursor(), cursorTwo, 'with its cursor');
      }),
  },
  {
    name: 'the cursor is absent at first, then saved, replaced and cleared',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        same(await replica.getCursor(), undefined, 'no cursor in a new replica');
        await replica.setCursor(cursorOne);
        same(await replica.getCursor(), cursorOne, 'the saved cursor');
        await replica.setCursor(cursorTwo);
        same(await replica.getCursor(), cursorTwo, 'the replaced cursor (a null cursor string kept as null)');
        await replica.setCursor(undefined);
        same(await replica.getCursor(), undefined, 'the cleared cursor');
      }),
  },
  {
    name: 'binary content comes back byte-exact: every byte value, empty, large, and a view into a bigger buffer',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        const everyByte = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 3) % 256);
        const large = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (i * 2654435761) >>> 24);
        const backing = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
        const view = backing.subarray(100, 133);
        const cases: [string, Uint8Array][] = [
          ['every-byte', everyByte],
          ['empty', new Uint8Array(0)],
          ['large', large],
          ['view', view],
        ];
        for (const [id, content] of cases) {
          await replica.addRevision(revision(id, { item: id, content, contentType: 'application/octet-stream' }), true);
        }
        for (const [id, content] of cases) {
          const item = await replica.getItem('notes', id);
          const held = await replica.getRevision(id);
          check(item?.content instanceof Uint8Array && held?.content instanceof Uint8Array, `${id}: content comes back as a Uint8Array`);
          same(item?.content?.byteLength, content.byteLength, `${id}: the item's length`);
          same(item?.content, content, `${id}: the item's bytes`);
          same(held?.content, content, `${id}: the revision's bytes`);
        }
        same((await replica.getItem('notes', 'view'))?.content?.buffer.byteLength, 33, 'a view is stored as its own bytes, not its whole buffer');
      }),
  },
  {
    name: 'items, log, outbox states and cursor are all there after closing and reopening',
    run: async (engine, name) => {
      let before: unknown;
      await withReplica(engine, name, async (replica) => {
        await replica.addRevision(revision('k-1'), true);
        await replica.addRevision(revision('k-2', { parentId: 'k-1', content: Uint8Array.from([0, 255, 1, 254]) }), true);
        await replica.addRevision(revision('k-3', { item: 'b.txt' }), true);
        await replica.addRevision(revision('k-4', { item: 'b.txt', parentId: 'k-3', deleted: true }), true);
        await replica.setState('k-1', 'acked');
        await replica.setState('k-3', 'refused', 'invalid: not a note');
        await replica.applyPull([{ revision: revision('k-5', { item: 'c.txt', local: false, state: 'acked' }), makeHead: true }], cursorOne);
        before = { log: await replica.log(), items: await replica.listItems(), outbox: await replica.outbox(), cursor: await replica.getCursor() };
      });
      await withReplica(engine, name, async (replica) => {
        const after = { log: await replica.log(), items: await replica.listItems(), outbox: await replica.outbox(), cursor: await replica.getCursor() };
        same(after, before, 'the reopened replica');
        same(ids(await replica.outbox()), ['k-2', 'k-4'], 'the outbox after reopening');
      });
    },
  },
  {
    name: "a collection's record is read and changed in one step, and is there after reopening",
    run: async (engine, name) => {
      const calendar: ReplicaCollection = {
        path: 'cal',
        kind: 'calendar',
        serverId: 7,
        props: { displayName: 'Home', color: '#ff0000', extra: { '{urn:x}a': '1' } },
        pendingProps: { color: '#ff0000', description: null },
        deleted: false,
        pendingDelete: false,
      };
      await withReplica(engine, name, async (replica) => {
        same(await replica.getCollection('cal'), undefined, 'an unknown collection');
        let seen: ReplicaCollection | undefined | 'not called' = 'not called';
        await replica.updateCollection('cal', (current) => {
          seen = current;
          return calendar;
        });
        same(seen, undefined, 'the change is given what is stored: nothing yet');
        await replica.updateCollection('cal', () => undefined);
        same(await replica.getCollection('cal'), calendar, 'undefined leaves the record as it was');
        await replica.updateCollection('cal', (current) => (current ? { ...current, pendingProps: null, deleted: true, pendingDelete: true } : undefined));
        await replica.updateCollection('books', () => ({ path: 'books', kind: 'contacts', serverId: null, props: {}, pendingProps: null, deleted: false, pendingDelete: false }));
        let refused = false;
        try {
          await replica.updateCollection('books', (current) => (current ? { ...current, path: 'elsewhere' } : undefined));
        } catch {
          refused = true;
        }
        check(refused, 'updateCollection refuses to change the path (moveCollection does that)');
      });
      await withReplica(engine, name, async (replica) => {
        same(
          await replica.listCollections(),
          [
            { path: 'books', kind: 'contacts', serverId: null, props: {}, pendingProps: null, deleted: false, pendingDelete: false },
            { ...calendar, pendingProps: null, deleted: true, pendingDelete: true },
          ],
          'every collection by path, after reopening',
        );
      });
    },
  },
  {
    name: 'the conflicts kept are exactly the last set, newest first, after reopening too',
    run: async (engine, name) => {
      const older = { revisionId: 'lost-1', winnerRevisionId: 'won-1', collectionPath: 'contacts', itemName: 'a.vcf', at: '2026-01-01T00:00:00.000Z' };
      const newer = { revisionId: 'lost-2', winnerRevisionId: 'won-2', collectionPath: null, itemName: 'b.json', at: '2026-02-01T00:00:00.000Z' };
      await withReplica(engine, name, async (replica) => {
        same(await replica.listConflicts(), [], 'none at first');
        await replica.setConflicts([older, newer]);
        same(await replica.listConflicts(), [newer, older], 'newest first');
        await replica.setConflicts([older]);
      });
      await withReplica(engine, name, async (replica) => {
        same(await replica.listConflicts(), [older], 'a set replaces the last one, and is kept');
        await replica.setConflicts([]);
        same(await replica.listConflicts(), [], 'an empty set clears them');
      });
    },
  },
  {
    name: 'moving a collection moves its nested collections, items and log, and nothing whose path only starts the same',
    run: (engine, name) =>
      withReplica(engine, name, async (replica) => {
        for (const [id, collectionPath, item] of [
          ['m1', 'photos', 'a.jpg'],
          ['m2', 'photos/2024', 'b.jpg'],
          ['m3', 'photos-old', 'c.jpg'],
          ['m4', 'pictures', 'a.jpg'],
        ] as const) {
          await replica.addRevision(revision(id, { collectionPath, kind: 'files', item }), true);
        }
        for (const path of ['photos', 'photos/2024', 'photos-old']) {
          await replica.updateCollection(path, () => ({ path, kind: 'files', serverId: path.length, props: { displayName: path }, pendingProps: null, deleted: false, pendingDelete: false }));
        }
        await replica.moveCollection('photos', 'pictures');
        same(
          (await replica.listItems()).map((i) => [i.collectionPath, i.name, i.headId]),
          [
            ['photos-old', 'c.jpg', 'm3'],
            ['pictures', 'a.jpg', 'm4'],
            ['pictures/2024', 'b.jpg', 'm2'],
          ],
          'items under the new path; an item already at the new place keeps it',
        );
        same(
          (await replica.log()).map((r) => [r.id, r.collectionPath]),
          [
            ['m1', 'pictures'],
            ['m2', 'pictures/2024'],
            ['m3', 'photos-old'],
            ['m4', 'pictures'],
          ],
          'every revision of the log under the new path, in its place',
        );
        same(
          (await replica.listCollections()).map((c) => [c.path, c.serverId, c.props.displayName]),
          [
            ['photos-old', 10, 'photos-old'],
            ['pictures', 6, 'photos'],
            ['pictures/2024', 11, 'photos/2024'],
          ],
          'the collection records move with their properties',
        );
        same(ids(await replica.outbox()), ['m1', 'm2', 'm3', 'm4'], 'the outbox keeps its order');
        await replica.moveCollection('pictures', 'pictures/inside');
        same((await replica.listCollections()).length, 3, 'a move into its own subtree is refused by doing nothing');
      }),
  },
];
