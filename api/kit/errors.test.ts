import { expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { clearable, text } from './fields.ts'
import { validationProblems } from './errors.ts'

/** An app that answers a validation failure with the problems the APIs give. */
const app = new Elysia()
  .onError(({ code, error }) => (code === 'VALIDATION' ? validationProblems(error.type, error.all as never) : String(error)))
  .post('/things', ({ body }) => body, {
    body: t.Object({
      email: t.String({ format: 'email' }),
      role: t.Union([t.Literal('student'), t.Literal('encadrant')]),
      name: text(100),
      establishment_id: t.Optional(t.Union([t.String({ format: 'uuid' }), t.Null()])),
    }),
  })
  .get('/things', ({ query }) => query, { query: t.Object({ unread: t.Optional(t.BooleanString()) }) })

async function problems(request: Request) {
  return (await app.handle(request)).json()
}

const post = (body: unknown) => problems(new Request('http://localhost/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))

test('a missing field is required; a choice names its options; a value of another kind names what it may be', async () => {
  expect(await post({ name: 'Ana' })).toEqual(
    expect.arrayContaining([
      { path: '/email', message: 'is required' },
      { path: '/role', message: 'is required' },
    ]),
  )
  expect(await post({ email: 'ana@example.org', role: 'student', name: '\u200b\u00a0\u200d' })).toEqual([{ path: '/name', message: 'must not be blank' }])
  expect(await post({ email: 'ana@example.org', role: 'student', name: ' Zoë\u200b ' })).toEqual({ email: 'ana@example.org', role: 'student', name: ' Zoë\u200b ' })
  expect(await post({ email: 'ana@example.org', role: 'boss', name: ' ', establishment_id: 42 })).toEqual([
    { path: '/role', message: 'must be one of "student", "encadrant"' },
    { path: '/name', message: 'must not be blank' },
    { path: '/establishment_id', message: 'must be a uuid or null' },
  ])
  // What the validator says plainly enough stays as it said it.
  expect(await post({ email: 7, role: 'student', name: 'x'.repeat(101) })).toEqual([
    { path: '/email', message: 'Expected string' },
    { path: '/name', message: 'Expected string length less or equal to 100' },
  ])
})

test('a flag in the query is true or false', async () => {
  expect(await problems(new Request('http://localhost/things?unread=maybe'))).toEqual([{ path: '/query/unread', message: 'must be true or false' }])
})

test('a field a PATCH may clear takes text or null: what is wrong with other text is said as for text', async () => {
  const patch = new Elysia()
    .onError(({ code, error }) => (code === 'VALIDATION' ? validationProblems(error.type, error.all as never) : String(error)))
    .patch('/things', ({ body }) => body, { body: t.Object({ phone: clearable(5) }) })
  const send = async (body: unknown) => (await patch.handle(new Request('http://localhost/things', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))).json()
  expect(await send({ phone: null })).toEqual({ phone: null })
  expect(await send({ phone: '  ' })).toEqual([{ path: '/phone', message: 'must not be blank, or null' }])
  expect(await send({ phone: '0123456' })).toEqual([{ path: '/phone', message: 'Expected string length less or equal to 5, or null' }])
  expect(await send({ phone: 12 })).toEqual([{ path: '/phone', message: 'must be a string or null' }])
})
