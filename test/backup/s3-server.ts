// An S3-compatible server for the tests: s3rver, in this process, on a free port of the
// loopback address. No real S3 server (MinIO, Garage, Ceph) can be installed on this
// machine — Debian packages none and nothing else may be downloaded — so s3rver stands in
// for one; the target speaks to it through the real AWS SDK over real HTTP.
import S3rver from 's3rver';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const S3_BUCKET = 'holdfast-backup';
/** s3rver's fixed development credentials: not a secret. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RunningS3 {
  endpoint: string;
  /** What a Holdfast process needs in its environment to reach this server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(): Promise<RunningS3> {
  const directory = await mkdtemp(join(tmpdir(), 'holdfast-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: S3_BUCKET }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    env: {
      HOLDFAST_S3_ENDPOINT: endpoint,
      HOLDFAST_S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
