// Turns a target as a person writes it (`dir:/mnt/backup`, `s3://bucket/prefix`) into an
// open target. S3 endpoint and region come from the environment; credentials from the
// SDK's usual variables, never from the target text, so they stay out of config files,
// process listings and logs.
import { isAbsolute, resolve } from 'node:path';
import { openDirectoryTarget } from './directory-target.ts';
import { openS3Target } from './s3-target.ts';
import type { BackupTarget } from './target.ts';

export const TARGET_SYNTAX = '"dir:/path/to/directory" or "s3://bucket/prefix"';

export type TargetSpec =
  | { kind: 'dir'; path: string }
  | { kind: 's3'; bucket: string; prefix: string };

export type ParseTargetResult = { kind: 'ok'; spec: TargetSpec } | { kind: 'invalid'; reason: string };

export function parseTarget(text: string, cwd = process.cwd()): ParseTargetResult {
  if (text.startsWith('dir:')) {
    const path = text.slice('dir:'.length);
    if (path === '') return { kind: 'invalid', reason: `"${text}" names no directory; write ${TARGET_SYNTAX}` };
    return { kind: 'ok', spec: { kind: 'dir', path: isAbsolute(path) ? path : resolve(cwd, path) } };
  }
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (s3) {
    const prefix = (s3[2] ?? '').replace(/^\/+|\/+$/g, '');
    return { kind: 'ok', spec: { kind: 's3', bucket: s3[1] ?? '', prefix } };
  }
  if (text.includes('@') || /:\/\/[^/]*:[^/]*@/.test(text)) {
    return { kind: 'invalid', reason: `a backup target must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead, and write ${TARGET_SYNTAX}` };
  }
  return { kind: 'invalid', reason: `"${text}" is not a backup target; write ${TARGET_SYNTAX}` };
}

/** Splits a list of targets as written in HOLDFAST_BACKUP_TARGETS (commas or spaces). */
export function splitTargets(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export async function openTarget(spec: TargetSpec, env: Record<string, string | undefined>): Promise<BackupTarget> {
  if (spec.kind === 'dir') return openDirectoryTarget(spec.path);
  const endpoint = env.HOLDFAST_S3_ENDPOINT;
  return openS3Target({
    bucket: spec.bucket,
    prefix: spec.prefix,
    endpoint: endpoint === undefined || endpoint === '' ? undefined : endpoint,
    region: env.HOLDFAST_S3_REGION ?? env.AWS_REGION,
    credentials:
      env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
        : undefined,
    forcePathStyle: env.HOLDFAST_S3_FORCE_PATH_STYLE === undefined ? undefined : ['1', 'true', 'yes', 'on'].includes(env.HOLDFAST_S3_FORCE_PATH_STYLE.toLowerCase()),
  });
}

/** Describes a spec the way logs show it. */
export function describeTarget(spec: TargetSpec): string {
  return spec.kind === 'dir' ? `dir:${spec.path}` : `s3://${spec.bucket}/${spec.prefix}`;
}
