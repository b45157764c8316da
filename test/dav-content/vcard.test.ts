import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateVCard } from '../../src/protocols/dav/carddav/vcard.ts';
import { crlf, fixture, fixtureBytes } from './fixtures.ts';

function card(...properties: string[]): string {
  return crlf('BEGIN:VCARD', ...properties, 'END:VCARD');
}

void describe('validateVCard: what a PUT to an address book must satisfy', () => {
  void describe('real clients', () => {
    it('accepts the vCard 3.0 iOS 17 sends, with item groups, X-AB labels and an inline photo', () => {
      assert.deepEqual(validateVCard(fixtureBytes('ios-17-contact.vcf')), {
        kind: 'valid',
        uid: '8D6A5B3E-1C2F-4A7B-9E0D-3F4A5B6C7D8E',
        version: '3.0',
        isGroup: false,
      });
    });

    it('accepts an Apple contact group (X-ADDRESSBOOKSERVER-KIND:group) and flags it', () => {
      const result = validateVCard(fixtureBytes('ios-contact-group.vcf'));
      assert.equal(result.kind, 'valid');
      assert.equal(result.kind === 'valid' && result.isGroup, true);
    });

    it('accepts the vCard 3.0 DAVx5 sends', () => {
      const result = validateVCard(fixture('davx5-contact-v3.vcf'));
      assert.deepEqual(result, { kind: 'valid', uid: '2c3e6f7a-8b9c-4d0e-a1f2-b3c4d5e6f708', version: '3.0', isGroup: false });
    });

    it('accepts a vCard 4.0 KIND:group and flags it', () => {
      const result = validateVCard(fixture('davx5-group-v4.vcf'));
      assert.deepEqual(result, { kind: 'valid', uid: '9e8d7c6b-5a49-4838-a2b1-c0d9e8f7a6b5', version: '4.0', isGroup: true });
    });

    it('accepts Evolution\'s 3.0 card with its empty properties and a REV with a counter suffix', () => {
      assert.deepEqual(validateVCard(fixtureBytes('evolution-contact.vcf')), { kind: 'valid', uid: 'pas-id-65A5B2C8000001', version: '3.0', isGroup: false });
    });

    it('accepts the vCard 4.0 Thunderbird writes, without PRODID', () => {
      assert.deepEqual(validateVCard(fixtureBytes('thunderbird-contact-v4.vcf')), {
        kind: 'valid',
        uid: 'd2f0c7e4-3b1a-4e5f-8c9d-0a1b2c3d4e5f',
        version: '4.0',
        isGroup: false,
      });
    });

    it('only reads: the body passed in is not modified', () => {
      const bytes = fixtureBytes('ios-17-contact.vcf');
      const copy = Buffer.from(bytes);
      validateVCard(bytes);
      assert.deepEqual(bytes, copy);
    });
  });

  void describe('valid-address-data', () => {
    const expectInvalid = (body: Buffer | string, pattern: RegExp) => {
      const result = validateVCard(body);
      assert.equal(result.kind, 'invalid', JSON.stringify(result));
      assert.equal(result.kind === 'invalid' && result.precondition, 'valid-address-data');
      assert.match(result.kind === 'invalid' ? result.message : '', pattern);
    };

    it('rejects a vCard without UID, saying that the UID is missing', () => {
      expectInvalid(card('VERSION:3.0', 'FN:No Uid'), /no UID/);
    });

    it('rejects an empty UID', () => {
      expectInvalid(card('VERSION:3.0', 'FN:Blank', 'UID:'), /no UID/);
    });

    it('rejects two vCards in one resource', () => {
      expectInvalid(card('VERSION:3.0', 'FN:A', 'UID:a') + card('VERSION:3.0', 'FN:B', 'UID:b'), /exactly one vCard/);
    });

    it('rejects an empty body', () => {
      expectInvalid('', /empty/);
    });

    it('rejects a body that is not vCard syntax', () => {
      expectInvalid('hello, world', /cannot be parsed/);
    });

    it('rejects a vCard that is never closed', () => {
      expectInvalid(crlf('BEGIN:VCARD', 'VERSION:3.0', 'FN:A', 'UID:a'), /cannot be parsed/);
    });

    it('rejects bytes that are not UTF-8', () => {
      const latin1 = Buffer.concat([Buffer.from('BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jos'), Buffer.from([0xe9]), Buffer.from('\r\nUID:x\r\nEND:VCARD\r\n')]);
      expectInvalid(latin1, /not valid UTF-8/);
    });

    it('rejects a vCard 4.0 without FN, which RFC 6350 requires', () => {
      expectInvalid(card('VERSION:4.0', 'N:Doe;Jane;;;', 'UID:u'), /no FN/);
    });

    it('accepts a vCard 3.0 with N but no FN (RFC 2426 wants both; old exporters send N only)', () => {
      assert.equal(validateVCard(card('VERSION:3.0', 'N:Doe;Jane;;;', 'UID:u')).kind, 'valid');
    });

    it('rejects a vCard 3.0 with neither FN nor N', () => {
      expectInvalid(card('VERSION:3.0', 'EMAIL:x@example.org', 'UID:u'), /neither FN nor N/);
    });

    it('rejects two VERSION properties', () => {
      expectInvalid(card('VERSION:3.0', 'VERSION:4.0', 'FN:A', 'UID:u'), /VERSION/);
    });

    it('rejects a body larger than the sanity bound, naming the size', () => {
      const result = validateVCard(card('VERSION:3.0', 'FN:A', 'UID:u', `NOTE:${'x'.repeat(2000)}`), { maxBytes: 1000 });
      assert.equal(result.kind, 'invalid');
      assert.match(result.kind === 'invalid' ? result.message : '', /more than the 1000 accepted/);
    });
  });

  void describe('supported-address-data', () => {
    it('rejects vCard 2.1, naming the versions that are accepted', () => {
      const result = validateVCard(card('VERSION:2.1', 'FN:Old', 'UID:u'));
      assert.equal(result.kind === 'invalid' && result.precondition, 'supported-address-data');
      assert.match(result.kind === 'invalid' ? result.message : '', /3\.0.*4\.0/);
    });

    it('rejects a vCard 2.1 with quoted-printable soft line breaks as unsupported, not as garbage', () => {
      const body = card('VERSION:2.1', 'N:Doe;Jane;;;', 'NOTE;ENCODING=QUOTED-PRINTABLE:first line=0D=0A=', 'second line', 'UID:u');
      const result = validateVCard(body);
      assert.equal(result.kind === 'invalid' && result.precondition, 'supported-address-data');
    });

    it('rejects a missing VERSION', () => {
      const result = validateVCard(card('FN:A', 'UID:u'));
      assert.equal(result.kind, 'invalid');
    });

    it('rejects an iCalendar object sent to an address book', () => {
      const result = validateVCard(fixture('thunderbird-event.ics'));
      assert.equal(result.kind === 'invalid' && result.precondition, 'supported-address-data');
    });
  });
});
