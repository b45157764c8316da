// The one error every engine raises for stored content that is missing or does not match
// its hash. Protocols map this class alone, whatever engine sits underneath, and answer
// with a failure rather than bad bytes.
export class ContentDamagedError extends Error {
  override name = 'ContentDamagedError';
}
