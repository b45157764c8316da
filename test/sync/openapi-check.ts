// Checks real answers against docs/sync-openapi.json, so the description cannot drift from
// the code: every answer the sync tests receive goes through `checkAnswer`. The schemas are
// JSON Schema (OpenAPI 3.1); zod's fromJSONSchema turns each into a validator.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

type Json = Record<string, unknown>;

const doc = JSON.parse(readFileSync(new URL('../../docs/sync-openapi.json', import.meta.url), 'utf8')) as Json;
const schemas = (doc.components as Json).schemas as Json;

/** The schema with every $ref replaced by what it names. */
function resolve(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(resolve);
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = (schema as Json).$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    assert.ok(name in schemas, `the OpenAPI file refers to a missing schema ${ref}`);
    return resolve(schemas[name]);
  }
  return Object.fromEntries(Object.entries(schema as Json).map(([key, value]) => [key, resolve(value)]));
}

const validators = new Map<string, z.ZodType>();

function responseSchema(method: string, path: string, status: number): z.ZodType {
  const key = `${method} ${path} ${status}`;
  const known = validators.get(key);
  if (known) return known;
  const operation = ((doc.paths as Json)[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
  assert.ok(operation, `docs/sync-openapi.json does not describe ${method} ${path}`);
  const response = (operation.responses as Json)[String(status)] as Json | undefined;
  assert.ok(response, `docs/sync-openapi.json does not describe a ${status} answer to ${method} ${path}`);
  const content = response.content as Record<string, { schema: unknown }>;
  const json = content['application/json'];
  assert.ok(json, `the ${status} answer to ${method} ${path} is not described as JSON`);
  const validator = z.fromJSONSchema(resolve(json.schema) as Parameters<typeof z.fromJSONSchema>[0]);
  validators.set(key, validator);
  return validator;
}

/** Asserts that a JSON answer matches the OpenAPI description of its path and status. */
export function checkAnswer(method: string, path: string, status: number, body: unknown): void {
  const result = responseSchema(method, path, status).safeParse(body);
  if (!result.success) {
    assert.fail(`${method} ${path} answered ${status} with a body the OpenAPI file does not describe: ${JSON.stringify(result.error.issues).slice(0, 2000)}\nbody: ${JSON.stringify(body).slice(0, 2000)}`);
  }
}

/** Asserts that a request body matches the OpenAPI description (the tests' own pushes). */
export function checkRequest(method: string, path: string, body: unknown): void {
  const operation = ((doc.paths as Json)[path] as Json)[method.toLowerCase()] as Json;
  const schema = (((operation.requestBody as Json).content as Json)['application/json'] as Json).schema;
  const result = z.fromJSONSchema(resolve(schema) as Parameters<typeof z.fromJSONSchema>[0]).safeParse(body);
  if (!result.success) assert.fail(`the request to ${method} ${path} does not match the OpenAPI file: ${JSON.stringify(result.error.issues).slice(0, 1000)}`);
}

export const OPENAPI_PATHS = Object.keys(doc.paths as Json);
