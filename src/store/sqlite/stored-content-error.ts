import { ContentDamagedError } from '../content-damaged-error.ts';

// Raised while streaming content whose bytes are missing or do not match their hash.
// The reply fails instead of serving bad data; scrub (backup issue) repairs from a copy.
export class StoredContentError extends ContentDamagedError {
  override name = 'StoredContentError';
  readonly revisionId: string;

  constructor(revisionId: string, problem: string) {
    super(`content of revision ${revisionId} cannot be served: ${problem}. It was not served as good; restore this content from a backup`);
    this.revisionId = revisionId;
  }
}
