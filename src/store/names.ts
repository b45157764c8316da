// Names the store accepts. Protocol adapters validate input first and answer with their own
// errors; these checks are the last line, so a bug upstream cannot store a name that would
// break a URL or a path.

export class StoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreInputError';
  }
}

// C0 controls, DEL and C1 controls never belong in a name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Half of a UTF-16 surrogate pair: such a string has no UTF-8 encoding.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function assertValidName(what: 'collection' | 'item', name: string): void {
  if (name.length === 0 || name.length > 255) {
    throw new StoreInputError(`a ${what} name must be 1 to 255 characters long, got ${name.length}`);
  }
  if (name === '.' || name === '..' || name.includes('/') || CONTROL.test(name)) {
    throw new StoreInputError(`a ${what} name must not be "." or "..", nor contain "/" or control characters: ${JSON.stringify(name)}`);
  }
  if (LONE_SURROGATE.test(name)) {
    throw new StoreInputError(`a ${what} name must be valid Unicode: ${JSON.stringify(name)}`);
  }
}

const REVISION_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function assertValidRevisionId(id: string): void {
  if (!REVISION_ID.test(id)) {
    throw new StoreInputError(
      `a revision id must be 8 to 128 characters of letters, digits, ".", "_", ":" or "-": ${JSON.stringify(id)}`,
    );
  }
}
