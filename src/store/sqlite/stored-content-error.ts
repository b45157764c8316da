// Raised while streaming content whose bytes are missing or do not match their hash.
// The reply fails instead of serving bad data; scrub (backup issue) repairs from a copy.
export class StoredContentError extends Error {
  readonly revisionId: string;

  constructor(revisionId: string, problem: string) {
    super(`content of revision ${revisionId} cannot be served: ${problem}; run 'holdfast status' and restore it from a backup`);
    this.name = 'StoredContentError';
    this.revisionId = revisionId;
  }
}
