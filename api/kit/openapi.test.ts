import { validate } from '@readme/openapi-parser'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { OpenAPIV3_1 } from 'openapi-types'
import { SERVICES } from '../../core/index.ts'
import { tempFolder } from '../../test/documents.ts'
import { typesOf } from '../../test/openapi-typescript/index.ts'
import { closedPort, startService, type Service, type ServiceOptions } from '../../test/service.ts'
import { authApi } from '../auth/app.ts'
import { commApi } from '../comm/app.ts'
import { coreApi } from '../core/app.ts'
import { evalApi } from '../eval/app.ts'
import { opsApi } from '../ops/app.ts'
import { profileApi } from '../profile/app.ts'
import { ERROR_REF } from './openapi.ts'

type Launch = Required<Pick<ServiceOptions, 'label' | 'apiEnv'>>

/** Each service's API alone, without its worker: its document is all that is read. */
const APIS: Record<string, (o: Launch) => Promise<Service>> = {
  auth: (o) => startService({ ...o, api: authApi }),
  profile: (o) => startService({ ...o, api: profileApi }),
  core: (o) => startService({ ...o, api: coreApi }),
  comm: (o) => startService({ ...o, api: commApi }),
  eval: (o) => startService({ ...o, api: evalApi }),
  ops: (o) => startService({ ...o, api: opsApi }),
}
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const

interface Operation {
  method: (typeof METHODS)[number]
  path: string
  op: OpenAPIV3_1.OperationObject
}

const operationsOf = (doc: OpenAPIV3_1.Document): Operation[] =>
  Object.entries(doc.paths ?? {}).flatMap(([path, item]) => METHODS.filter((method) => item?.[method]).map((method) => ({ method, path, op: item![method]! })))

const named = ({ method, path }: Operation) => `${method.toUpperCase()} ${path}`

/** A value a path parameter of this schema takes: its first allowed value, or a uuid. */
function paramValue(schema: OpenAPIV3_1.SchemaObject | undefined): string {
  if (schema?.enum?.length) return String(schema.enum[0])
  if (schema?.pattern || (schema?.format && schema.format !== 'uuid')) return 'x'
  return crypto.randomUUID()
}

/** The operation's URL with each `{param}` given a value its schema takes. */
function urlOf(s: Service, { path, op }: Operation): string {
  const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => paramValue(params.find((p) => p.in === 'path' && p.name === name)?.schema as OpenAPIV3_1.SchemaObject))
  return s.url(filled)
}

/** Whether the operation names a scheme every caller must satisfy: no empty (anonymous) requirement among its alternatives. */
const tokenRequired = (op: OpenAPIV3_1.OperationObject) => op.security !== undefined && op.security.length > 0 && op.security.every((r) => Object.keys(r).length > 0)

describe.each(Object.entries(APIS))('/%s/api/docs/json', (service, start) => {
  let s: Service
  let documents: Awaited<ReturnType<typeof tempFolder>>
  let doc: OpenAPIV3_1.Document

  beforeAll(async () => {
    documents = await tempFolder(`openapi-${service}`)
    const away = `http://127.0.0.1:${await closedPort()}`
    const workers = Object.fromEntries(SERVICES.map((x) => [`${x.toUpperCase()}_WORKER_URL`, away]))
    s = await start({ label: `openapi_${service}`, apiEnv: { DOCUMENTS_DIR: documents.path, ...workers } })
    const res = await fetch(s.url(`/${service}/api/docs/json`))
    expect(res.status).toBe(200)
    doc = await res.json()
  }, 30_000)

  afterAll(async () => {
    await s?.close()
    await documents?.remove()
  })

  test('is a valid OpenAPI document', async () => {
    const result = await validate(structuredClone(doc) as never)
    expect('errors' in result ? result.errors : []).toEqual([])
    expect(result.valid).toBe(true)
    expect(operationsOf(doc).length).toBeGreaterThan(3)
  })

  test('every operation answers a 2xx with a schema for each of its media types', () => {
    const described = (r: OpenAPIV3_1.ResponseObject) => {
      const media = Object.values(r.content ?? {})
      return media.length > 0 && media.every((m) => m.schema !== undefined)
    }
    const without = operationsOf(doc)
      .filter(({ op }) => !Object.entries(op.responses ?? {}).some(([status, r]) => /^2\d\d$/.test(status) && described(r as OpenAPIV3_1.ResponseObject)))
      .map(named)
    expect(without).toEqual([])
  })

  test('every error answer is the shared error body (but /ready’s 503, its readiness)', () => {
    expect(doc.components?.schemas?.Error).toMatchObject({ type: 'object', properties: { error: expect.any(Object), message: expect.any(Object) } })
    const astray = operationsOf(doc).flatMap((o) =>
      Object.entries(o.op.responses ?? {})
        .filter(([status]) => /^[45]\d\d$/.test(status))
        .filter(([status]) => !(o.path === `/${service}/api/ready` && status === '503'))
        .filter(([, r]) => {
          const content = (r as OpenAPIV3_1.ResponseObject).content ?? {}
          return Object.keys(content).join() !== 'application/json' || (content['application/json']!.schema as OpenAPIV3_1.ReferenceObject).$ref !== ERROR_REF
        })
        .map(([status]) => `${named(o)} ${status}`),
    )
    expect(astray).toEqual([])
    const ready = doc.paths?.[`/${service}/api/ready`]?.get?.responses as Record<string, OpenAPIV3_1.ResponseObject>
    expect(ready['503']!.content?.['application/json']?.schema).toEqual(ready['200']!.content!['application/json']!.schema!)
  })

  test('every operation is under a tag the document lists', () => {
    const listed = new Set((doc.tags ?? []).map((t) => t.name))
    expect(listed.size).toBeGreaterThan(0)
    const untagged = operationsOf(doc)
      .filter(({ op }) => !(op.tags ?? []).some((t) => listed.has(t)))
      .map(named)
    expect(untagged).toEqual([])
  })

  test('generates TypeScript types that compile, with every path and the error body', async () => {
    const { source, problems } = await typesOf(doc)
    expect(problems).toEqual([])
    for (const path of Object.keys(doc.paths ?? {})) expect(source).toContain(`${JSON.stringify(path)}: {`)
    expect(source).toContain('"application/json": components["schemas"]["Error"]')
  }, 30_000)

  test('an operation asks for a token exactly where a request without one is refused 401', async () => {
    const schemes = Object.keys(doc.components?.securitySchemes ?? {})
    const mismatched: string[] = []
    for (const o of operationsOf(doc)) {
      for (const requirement of o.op.security ?? []) for (const scheme of Object.keys(requirement)) expect(schemes).toContain(scheme)
      const body = o.op.requestBody && 'content' in o.op.requestBody && o.op.requestBody.content['application/json'] ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}
      const res = await fetch(urlOf(s, o), { method: o.method.toUpperCase(), ...body })
      await res.body?.cancel()
      const refused = res.status === 401
      if (refused !== tokenRequired(o.op)) mismatched.push(`${named(o)}: ${res.status} without a token, security ${JSON.stringify(o.op.security)}`)
    }
    expect(mismatched).toEqual([])
  }, 30_000)
})
