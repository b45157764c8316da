// A backup target in S3-compatible object storage. A PUT is atomic and durable once S3
// answers it, so an object that exists is complete. Credentials come from the SDK's usual
// chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role) and are
// never part of the description, a log line or an error message.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { BackupObjectInfo, BackupTarget } from './target.ts';
import { checkKey } from './target.ts';

/** S3 takes parts of at least 5 MiB (but the last). */
const PART_BYTES = 8 * 1024 * 1024;

export interface S3TargetOptions {
  bucket: string;
  /** Key prefix inside the bucket, without a trailing slash ('' for the whole bucket). */
  prefix: string;
  /** For S3-compatible services (MinIO, Garage, a provider's endpoint); unset for AWS. */
  endpoint?: string | undefined;
  region?: string | undefined;
  /** Credentials given explicitly (tests); otherwise the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle?: boolean | undefined;
}

export function openS3Target(options: S3TargetOptions): BackupTarget {
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
  });
  return new S3Target(client, options.bucket, options.prefix);
}

class S3Target implements BackupTarget {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(client: S3Client, bucket: string, prefix: string) {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix === '' ? '' : `${prefix.replace(/\/+$/, '')}/`;
    this.description = `s3://${bucket}/${prefix}`;
  }

  private keyOf(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    // Append-only: an object already there holds the same bytes (names are never reused).
    if ((await this.head(key)) !== null) return;
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: data, ContentLength: data.byteLength }),
    );
  }

  async putStream(key: string, source: AsyncIterable<Uint8Array>): Promise<void> {
    if ((await this.head(key)) !== null) return;
    // Parts of a fixed size: a small object is one PutObject, a large one a multipart
    // upload, so at most one part is ever in memory.
    let upload: string | undefined;
    const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const sendPart = async () => {
      const body = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      if (upload === undefined) {
        const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
        upload = created.UploadId;
        if (upload === undefined) throw new Error(`S3 gave no upload id for ${key}`);
      }
      const partNumber = parts.length + 1;
      const answer = await this.client.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: this.keyOf(key), UploadId: upload, PartNumber: partNumber, Body: body, ContentLength: body.byteLength }),
      );
      parts.push({ ETag: answer.ETag, PartNumber: partNumber });
    };
    try {
      for await (const chunk of source) {
        pending.push(Buffer.from(chunk));
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= PART_BYTES) await sendPart();
      }
      if (upload === undefined) {
        await this.put(key, Buffer.concat(pending));
        return;
      }
      if (pendingBytes > 0) await sendPart();
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.keyOf(key), UploadId: upload, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (upload !== undefined) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.keyOf(key), UploadId: upload })).catch(() => undefined);
      }
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      if (answer.Body === undefined) return new Uint8Array();
      return await answer.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<BackupObjectInfo | null> {
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return { key, size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<BackupObjectInfo[]> {
    const found: BackupObjectInfo[] = [];
    let token: string | undefined;
    do {
      const answer = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
      );
      for (const object of answer.Contents ?? []) {
        if (object.Key === undefined) continue;
        found.push({ key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 });
      }
      token = answer.IsTruncated === true ? answer.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    // S3 answers a delete of a missing key with success too.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  if (error instanceof NoSuchKey || error instanceof NotFound) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 404;
}
