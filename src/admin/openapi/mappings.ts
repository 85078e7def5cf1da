// Number -> chat channel mappings (src/admin/mappings.ts).

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { createMappingSchema as createSchema, listMappingsQuery as listQuery, platformSchema } from '../mappings.js';
import { ADMIN, errors, json, jsonBody, noContent, registerAdmin } from './common.js';
import { z } from './zod.js';

export const mappingResource = z
  .object({
    id: z.string(),
    number: z.string().openapi({ example: '+14155552671' }),
    platform: platformSchema,
    channel: z.string().openapi({ description: 'Slack channel id (C0123...) or Teams channel conversation id (19:...@thread.tacv2).' }),
    createdAt: z.string(),
  })
  .strict()
  .openapi('Mapping');

const idPath = z.object({ id: z.string() });

export function registerMappings(r: OpenAPIRegistry): void {
  const tags = ['mappings'];
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/mappings`,
    operationId: 'listMappings',
    tags,
    summary: 'Mappings, filtered by number, platform and/or channel',
    request: { query: listQuery },
    responses: { 200: json('The mappings that match.', z.array(mappingResource)), ...errors(400, 422) },
  });
  registerAdmin(r, {
    method: 'post',
    path: `${ADMIN}/mappings`,
    operationId: 'createMapping',
    tags,
    summary: 'Map a provisioned number to a chat channel',
    request: { body: jsonBody(createSchema) },
    responses: {
      201: json('Created.', mappingResource, z.object({ Location: z.string() })),
      ...errors(400, 409, 413, 422),
    },
  });
  registerAdmin(r, {
    method: 'get',
    path: `${ADMIN}/mappings/{id}`,
    operationId: 'getMapping',
    tags,
    summary: 'One mapping',
    request: { params: idPath },
    responses: { 200: json('The mapping.', mappingResource), ...errors(404) },
  });
  registerAdmin(r, {
    method: 'delete',
    path: `${ADMIN}/mappings/{id}`,
    operationId: 'deleteMapping',
    tags,
    summary: 'Remove a mapping',
    request: { params: idPath },
    responses: { 204: noContent, ...errors(404) },
  });
}
