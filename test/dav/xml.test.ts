import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseXml } from '../../src/protocols/dav/xml/parse-xml.ts';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { dav, el, fromParsed, serializeXml } from '../../src/protocols/dav/xml/write-xml.ts';

function invalidMessage(body: string | Buffer, limits?: Parameters<typeof parseXml>[1]): string {
  const result = parseXml(body, limits);
  assert.equal(result.kind, 'invalid', 'expected the body to be refused');
  return result.kind === 'invalid' ? result.message : '';
}

describe('parseXml', () => {
  test('resolves namespaces, including default and undeclared-prefix-free names', () => {
    const result = parseXml('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><x xmlns="urn:x" a="1"/><nonamespace xmlns=""/></D:prop></D:propfind>');
    assert.equal(result.kind, 'ok');
    if (result.kind !== 'ok') return;
    assert.equal(result.root.ns, NS.dav);
    assert.equal(result.root.name, 'propfind');
    const prop = result.root.children[0];
    assert.deepEqual(prop?.children.map((c) => [c.ns, c.name, c.attributes]), [['urn:x', 'x', { a: '1' }], ['', 'nonamespace', {}]]);
  });

  test('keeps text and CDATA, and mixed content in document order', () => {
    const result = parseXml('<a xmlns="urn:a">one<b>two</b><![CDATA[<three>]]></a>');
    assert.equal(result.kind, 'ok');
    if (result.kind !== 'ok') return;
    assert.equal(result.root.text, 'one<three>');
    assert.deepEqual(result.root.content?.map((c) => (typeof c === 'string' ? c : c.name)), ['one', 'b', '<three>']);
  });

  test('refuses an external entity (XXE) without reading the file', () => {
    const message = invalidMessage('<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><d:propfind xmlns:d="DAV:">&xxe;</d:propfind>');
    assert.match(message, /DOCTYPE/);
    assert.doesNotMatch(message, /root:/);
  });

  test('refuses an entity-expansion bomb (billion laughs) at the DOCTYPE', () => {
    const entities = Array.from({ length: 10 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${entities}]><lolz>&lol10;</lolz>`;
    const started = Date.now();
    assert.match(invalidMessage(bomb), /DOCTYPE/);
    assert.ok(Date.now() - started < 1000);
  });

  test('refuses an undeclared entity reference', () => {
    assert.match(invalidMessage('<a>&nope;</a>'), /not well-formed XML at line 1/);
  });

  test('says where malformed XML breaks, by line and column', () => {
    assert.match(invalidMessage('<a>\n<b>\n</a>'), /^the request body is not well-formed XML at line 3, column \d+: /);
    assert.match(invalidMessage('<foo>'), /not well-formed XML/);
  });

  test('refuses a prefix bound to the empty namespace (litmus propfind_invalid2)', () => {
    assert.match(invalidMessage('<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>'), /not well-formed XML/);
  });

  test('enforces the size, depth and element-count limits', () => {
    assert.match(invalidMessage('<a>' + 'x'.repeat(100) + '</a>', { maxBytes: 50 }), /more than the limit of 50/);
    assert.match(invalidMessage('<a><a><a><a/></a></a></a>', { maxDepth: 3 }), /deeper than 3 levels/);
    assert.match(invalidMessage(`<a>${'<b/>'.repeat(20)}</a>`, { maxElements: 10 }), /more than 10 elements/);
  });

  test('refuses bytes that are not UTF-8, and an empty body', () => {
    assert.match(invalidMessage(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])), /not valid UTF-8/);
    assert.match(invalidMessage(''), /empty/);
  });
});

describe('serializeXml', () => {
  test('escapes text and attribute values so a value can never become markup', () => {
    const xml = serializeXml(el(NS.dav, 'displayname', ['</d:displayname><evil/>&'], { note: '"quoted" <a>' }));
    assert.equal(xml, '<d:displayname xmlns:d="DAV:" note="&quot;quoted&quot; &lt;a&gt;">&lt;/d:displayname&gt;&lt;evil/&gt;&amp;</d:displayname>');
    const back = parseXml(xml);
    assert.equal(back.kind === 'ok' ? back.root.text : null, '</d:displayname><evil/>&');
  });

  test('uses the fixed prefixes, generates others, and writes no-namespace elements bare', () => {
    const xml = serializeXml(dav('prop', [el(NS.carddav, 'addressbook'), el(NS.calendarServer, 'getctag', ['1']), el('urn:other', 'x'), el('', 'plain')]));
    assert.equal(
      xml,
      '<d:prop xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:x0="urn:other"><card:addressbook/><cs:getctag>1</cs:getctag><x0:x/><plain/></d:prop>',
    );
  });

  test('a parsed element round-trips with its namespaces and mixed content', () => {
    const source = '<t:valnspace xmlns:t="http://example.com/litmus/">a<foo xmlns="bar">b</foo>c</t:valnspace>';
    const parsed = parseXml(source);
    assert.equal(parsed.kind, 'ok');
    if (parsed.kind !== 'ok') return;
    const again = parseXml(serializeXml(fromParsed(parsed.root)));
    assert.equal(again.kind, 'ok');
    if (again.kind !== 'ok') return;
    assert.deepEqual(fromParsed(again.root), fromParsed(parsed.root));
  });

  test('drops characters XML cannot carry instead of writing a broken document', () => {
    assert.equal(serializeXml(el('', 'a', ['x\u0001y'])), '<a>xy</a>');
  });
});
