import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { profileRuntime, students } from '../schemas/db/profile.ts'
import { catalogue } from '../schemas/events/index.ts'
import { createTestDatabase, type TestDatabase } from '../test/database.ts'
import { compileCatalogue, conflict, createUnitOfWork, DomainError, openDatabase, TransientError, type TogetherApply, type Tx, type UnitOfWork, type WorkItem } from './index.ts'

let database: TestDatabase
let uow: UnitOfWork<typeof catalogue>

beforeAll(async () => {
  database = await createTestDatabase('uow')
  uow = createUnitOfWork({ db: database.db, tables: profileRuntime, catalogue, validator: compileCatalogue(catalogue), service: 'profile' })
})
afterAll(() => database.drop())

/** A create-student command as the profile worker would apply it. */
function createStudent(commandId: string, email: string, fail?: Error): WorkItem<typeof catalogue> {
  return {
    consumer: 'commands',
    messageId: commandId,
    correlationId: 'req-1',
    commandType: 'profile.create_student',
    async apply(tx, emit) {
      if (fail) throw fail
      const [taken] = await tx.select().from(students).where(sql`lower(${students.email}) = lower(${email})`)
      if (taken) throw conflict('email taken')
      const id = crypto.randomUUID()
      const userId = crypto.randomUUID()
      await tx.insert(students).values({ id, userId, email })
      emit('student.created', { student_id: id, user_id: userId, email })
      return { status: 201, body: { id, email } }
    },
  }
}

const count = async (table: string, where = sql`true`) =>
  ((await database.db.execute(sql`select count(*)::int as n from ${sql.raw(table)} where ${where}`)) as unknown as { n: number }[])[0]!.n

describe('unit of work', () => {
  test('the same message twice changes state once and emits once; the duplicate gets the stored result', async () => {
    const id = crypto.randomUUID()
    const first = await uow.run([createStudent(id, 'once@example.org')])
    const second = await uow.run([createStudent(id, 'once@example.org')])
    expect(first.outcomes[0]).toMatchObject({ kind: 'applied', stored: { outcome: 'succeeded', status: 201 } })
    expect(second.outcomes[0]).toEqual({ kind: 'duplicate', stored: (first.outcomes[0] as { stored: unknown }).stored as never })
    expect(first.committed).toHaveLength(1)
    expect(first.committed[0]!.envelope).toMatchObject({ event_type: 'student.created', causation_id: id, correlation_id: 'req-1', service: 'profile-service' })
    expect(second.committed).toEqual([])
    expect(await count('profile.students', sql`email = 'once@example.org'`)).toBe(1)
    expect(await count('profile.outbox', sql`envelope->>'causation_id' = ${id}`)).toBe(1)
  })

  test('the same message twice in one batch is applied once', async () => {
    const id = crypto.randomUUID()
    const { outcomes } = await uow.run([createStudent(id, 'twice@example.org'), createStudent(id, 'twice@example.org')])
    expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'duplicate'])
    expect(await count('profile.students', sql`email = 'twice@example.org'`)).toBe(1)
  })

  test('a duplicate first in its batch, whose handler would succeed again: nothing of it stays, the rest of the batch is applied', async () => {
    /** Records a visit under a new key each time it runs: only the inbox stops a second run. */
    const visit = (messageId: string): WorkItem<typeof catalogue> => ({
      consumer: 'events',
      messageId,
      correlationId: null,
      async apply(tx, emit) {
        const id = crypto.randomUUID()
        await tx.insert(students).values({ id, userId: crypto.randomUUID(), email: `${id}@visits.example.org` })
        emit('student.created', { student_id: id, user_id: crypto.randomUUID(), email: `${id}@visits.example.org` })
      },
    })
    const seen = crypto.randomUUID()
    const other = crypto.randomUUID()
    await uow.run([visit(seen)])
    const again = await uow.run([visit(seen), visit(other)])
    expect(again.outcomes.map((o) => o.kind)).toEqual(['duplicate', 'applied'])
    expect(again.committed).toHaveLength(1)
    expect(await count('profile.students', sql`email like '%@visits.example.org'`)).toBe(2)
    expect(await count('profile.outbox', sql`envelope->>'causation_id' in (${seen}, ${other})`)).toBe(2)
    const alone = await uow.run([visit(other)])
    expect(alone.outcomes.map((o) => o.kind)).toEqual(['duplicate'])
    expect(await count('profile.students', sql`email like '%@visits.example.org'`)).toBe(2)
  })

  test('two replicas given the same messages at the same moment: each applied once, the other replica answers with its stored result', async () => {
    const other = openDatabase(database.url, { max: 2 })
    const replica = createUnitOfWork({ db: other, tables: profileRuntime, catalogue, validator: compileCatalogue(catalogue), service: 'profile' })
    try {
      const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()]
      const batch = () => ids.map((id) => createStudent(id, `${id}@replicas.example.org`))
      const [a, b] = await Promise.all([uow.run(batch()), replica.run(batch().reverse())])
      const kinds = [...a.outcomes, ...b.outcomes].map((o) => o.kind).sort()
      expect(kinds).toEqual(['applied', 'applied', 'applied', 'duplicate', 'duplicate', 'duplicate'])
      for (const o of [...a.outcomes, ...b.outcomes]) expect(o).toMatchObject({ stored: { outcome: 'succeeded', status: 201 } })
      expect(a.committed.length + b.committed.length).toBe(3)
      for (const id of ids) {
        expect(await count('profile.students', sql`email = ${`${id}@replicas.example.org`}`)).toBe(1)
        expect(await count('profile.outbox', sql`envelope->>'causation_id' = ${id}`)).toBe(1)
      }
    } finally {
      await other.$client.end()
    }
  })

  test('a refusal caused by a message seen before running again does not stand: the command is answered as if that message had been skipped', async () => {
    /** An event that creates a student with this email unless one has it. */
    const studentFor = (messageId: string, email: string): WorkItem<typeof catalogue> => ({
      consumer: 'events',
      messageId,
      correlationId: null,
      async apply(tx) {
        await tx.execute(sql`insert into profile.students (id, user_id, email) values (${crypto.randomUUID()}, ${crypto.randomUUID()}, ${email}) on conflict do nothing`)
      },
    })
    const email = `${crypto.randomUUID()}@again.example.org`
    const event = crypto.randomUUID()
    await uow.run([studentFor(event, email)])
    await database.db.execute(sql`delete from profile.students where email = ${email}`)
    // The event comes again (published twice, say) with a new command for the same email.
    const commandId = crypto.randomUUID()
    const { outcomes } = await uow.run([studentFor(event, email), createStudent(commandId, email)])
    expect(outcomes.map((o) => o.kind)).toEqual(['duplicate', 'applied'])
    expect(outcomes[1]).toMatchObject({ stored: { outcome: 'succeeded', status: 201 } })
    expect(((await database.db.execute(sql`select http_status from profile.command_results where command_id = ${commandId}`)) as unknown as { http_status: number }[])[0]).toEqual({ http_status: 201 })
    expect(await count('profile.students', sql`email = ${email}`)).toBe(1)
  })

  test('a replica taking every message for new and one recording them first, on the same message: no deadlock, applied once', async () => {
    const other = openDatabase(database.url, { max: 2 })
    const careful = createUnitOfWork({ db: other, tables: profileRuntime, catalogue, validator: compileCatalogue(catalogue), service: 'profile' })
    /** Inserts its own student; a second run fails (the row exists). */
    const insert = (messageId: string, studentId: string, hooks: { before?: () => void; after?: () => Promise<void> } = {}): WorkItem<typeof catalogue> => ({
      consumer: 'events',
      messageId,
      correlationId: null,
      async apply(tx) {
        hooks.before?.()
        await tx.insert(students).values({ id: studentId, userId: crypto.randomUUID(), email: `${studentId}@replica.example.org` })
        await hooks.after?.()
      },
    })
    try {
      const seen = crypto.randomUUID()
      const seenStudent = crypto.randomUUID()
      await careful.run([insert(seen, seenStudent)])
      const m = crypto.randomUUID()
      const mStudent = crypto.randomUUID()
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      let holding!: () => void
      const held = new Promise<void>((r) => (holding = r))
      // This replica applies m and holds its row a while (another message of its batch, say).
      const first = uow.run([insert(m, mStudent, { after: async () => (holding(), await gate) })])
      await held
      // The other gets m in a batch with a message seen before: it ends up recording the inbox first.
      const second = careful.run([insert(seen, seenStudent), insert(m, mStudent)])
      await new Promise((r) => setTimeout(r, 200))
      release()
      const [a, b] = await Promise.all([first, second])
      expect(a.outcomes.map((o) => o.kind)).toEqual(['applied'])
      expect(b.outcomes.map((o) => o.kind)).toEqual(['duplicate', 'duplicate'])
      expect(await count('profile.students', sql`id = ${mStudent}`)).toBe(1)
    } finally {
      await other.$client.end()
    }
  })

  test("a message's inbox row is recorded before its handler's first statement runs, however that statement is sent", async () => {
    const inboxHas = (id: string) => `select exists (select 1 from profile.inbox where message_id = '${id}') as seen`
    type Client = { unsafe(q: string): { execute(): Promise<{ seen: boolean }[]> } }
    const firstStatements: Record<string, (tx: Tx, id: string) => Promise<boolean>> = {
      drizzle: async (tx, id) => ((await tx.execute(sql.raw(inboxHas(id)))) as unknown as { seen: boolean }[])[0]!.seen,
      'postgres.js underneath': async (tx, id) => (await (tx as unknown as { session: { client: Client } }).session.client.unsafe(inboxHas(id)).execute())[0]!.seen,
    }
    for (const [how, first] of Object.entries(firstStatements)) {
      const id = crypto.randomUUID()
      let seen: boolean | undefined
      const { outcomes } = await uow.run([{ consumer: 'events', messageId: id, correlationId: null, apply: async (tx) => void (seen = await first(tx, id)) }])
      expect({ how, seen, kind: outcomes[0]!.kind }).toEqual({ how, seen: true, kind: 'applied' })
    }
  })

  test('a failing item is taken out; the others in its batch are applied; nothing of it stays', async () => {
    const failing = crypto.randomUUID()
    const { outcomes, committed } = await uow.run([
      createStudent(crypto.randomUUID(), 'a@example.org'),
      createStudent(failing, 'b@example.org', new TransientError('DB_SLOW', 'timeout')),
      createStudent(crypto.randomUUID(), 'c@example.org'),
    ])
    expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'failed', 'applied'])
    expect(committed).toHaveLength(2)
    expect(await count('profile.inbox', sql`message_id = ${failing}`)).toBe(0)
    // The failed message is not in the inbox, so its retry is applied.
    const retry = await uow.run([createStudent(failing, 'b@example.org')])
    expect(retry.outcomes[0]!.kind).toBe('applied')
  })

  test('one message the database refuses as a whole batch (an id too long for the inbox, a NUL in an emitted payload) fails alone; the command and the event beside it are applied', async () => {
    const event = (messageId: string, email: string): WorkItem<typeof catalogue> => ({
      consumer: 'events',
      messageId,
      correlationId: null,
      async apply(tx, emit) {
        const id = crypto.randomUUID()
        await tx.insert(students).values({ id, userId: crypto.randomUUID(), email })
        emit('student.updated', { student_id: id, updated_fields: [email] })
      },
    })
    // Random characters: a repetitive id would compress under the index's size limit.
    const longId = Array.from({ length: 4 }, () => Buffer.from(crypto.getRandomValues(new Uint8Array(750))).toString('base64')).join('')
    for (const bad of [event(longId, 'long-id@example.org'), event(`nul\u0000${crypto.randomUUID()}`, 'nul-id@example.org')]) {
      const tag = crypto.randomUUID().slice(0, 8)
      const commandId = crypto.randomUUID()
      const { outcomes, committed } = await uow.run([createStudent(commandId, `cmd-${tag}@example.org`), bad, event(crypto.randomUUID(), `evt-${tag}@example.org`)])
      expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'failed', 'applied'])
      expect(outcomes[0]).toMatchObject({ stored: { outcome: 'succeeded', status: 201 } })
      expect(committed.map((r) => r.envelope.event_type)).toEqual(['student.created', 'student.updated'])
      expect(await count('profile.students', sql`email in (${`cmd-${tag}@example.org`}, ${`evt-${tag}@example.org`})`)).toBe(2)
      expect(await count('profile.command_results', sql`command_id = ${commandId} and outcome = 'succeeded'`)).toBe(1)
    }
  })

  test('a NUL in an emitted payload fails only its own item', async () => {
    const emitting = (messageId: string, field: string): WorkItem<typeof catalogue> => ({
      consumer: 'events',
      messageId,
      correlationId: null,
      async apply(_tx, emit) {
        emit('student.updated', { student_id: crypto.randomUUID(), updated_fields: [field] })
      },
    })
    const { outcomes, committed } = await uow.run([emitting(crypto.randomUUID(), 'phone'), emitting(crypto.randomUUID(), 'ph\u0000one'), emitting(crypto.randomUUID(), 'cin')])
    expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'failed', 'applied'])
    expect(committed.map((r) => (r.envelope.payload as { updated_fields: string[] }).updated_fields[0])).toEqual(['phone', 'cin'])
  })

  test('a command whose inbox row was pruned, sent again with its id, is answered with its stored result and applied no second time', async () => {
    const id = crypto.randomUUID()
    const address = `pruned-${id.slice(0, 8)}@example.org`
    const first = await uow.run([createStudent(id, address)])
    await database.db.execute(sql`delete from profile.inbox where message_id = ${id}`)
    const again = await uow.run([createStudent(id, `other-${address}`)])
    expect(again.outcomes[0]).toEqual({ kind: 'duplicate', stored: (first.outcomes[0] as unknown as { stored: never }).stored })
    expect(again.committed).toEqual([])
    expect(await count('profile.students', sql`email in (${address}, ${`other-${address}`})`)).toBe(1)
  })

  test('a command set aside with a failure (500) and replayed after its inbox row is gone is applied, and its real result replaces the failure', async () => {
    const id = crypto.randomUUID()
    const address = `set-aside-${id.slice(0, 8)}@example.org`
    await database.db.execute(sql`insert into profile.command_results (command_id, command_type, actor_id, outcome, http_status, body) values (${id}, 'profile.create_student', null, 'failed', 500, '{"error":"COMMAND_FAILED"}')`)
    const replayed = await uow.run([createStudent(id, address)])
    expect(replayed.outcomes[0]).toMatchObject({ kind: 'applied', stored: { outcome: 'succeeded', status: 201 } })
    expect(await count('profile.command_results', sql`command_id = ${id} and outcome = 'succeeded'`)).toBe(1)
  })

  test('a domain refusal of a command is stored and answered, with no effect', async () => {
    const id = crypto.randomUUID()
    const { outcomes, committed } = await uow.run([createStudent(crypto.randomUUID(), 'dup@example.org'), createStudent(id, 'DUP@example.org')])
    expect(outcomes[1]).toEqual({ kind: 'applied', stored: { outcome: 'failed', status: 409, body: { error: 'CONFLICT', message: 'email taken' } } })
    expect(committed).toHaveLength(1)
    const again = await uow.run([createStudent(id, 'DUP@example.org')])
    expect(again.outcomes[0]).toEqual({ kind: 'duplicate', stored: { outcome: 'failed', status: 409, body: { error: 'CONFLICT', message: 'email taken' } } })
  })

  test('a refusal a command answers with instead of throwing keeps its work and is stored as failed', async () => {
    const id = crypto.randomUUID()
    const email = `kept-${id.slice(0, 8)}@example.org`
    const refusing: WorkItem<typeof catalogue> = {
      ...createStudent(id, email),
      async apply(tx, emit) {
        await createStudent(id, email).apply(tx, emit)
        return { status: 429, body: { error: 'TOO_MANY_ATTEMPTS', message: 'wait' } }
      },
    }
    const { outcomes } = await uow.run([refusing])
    expect(outcomes[0]).toEqual({ kind: 'applied', stored: { outcome: 'failed', status: 429, body: { error: 'TOO_MANY_ATTEMPTS', message: 'wait' } } })
    expect(await count('profile.students', sql`email = ${email}`)).toBe(1)
    expect(await count('profile.command_results', sql`command_id = ${id} and outcome = 'failed' and http_status = 429`)).toBe(1)
  })

  test('an invalid emitted event fails the item permanently', async () => {
    const { outcomes } = await uow.run([
      {
        consumer: 'events',
        messageId: crypto.randomUUID(),
        correlationId: null,
        async apply(_tx, emit) {
          emit('student.created', { student_id: 'not-a-uuid', user_id: crypto.randomUUID(), email: 'x@example.org' })
        },
      },
    ])
    expect(outcomes[0]!.kind).toBe('failed')
    expect(String((outcomes[0] as { error: Error }).error.message)).toContain('/payload/student_id')
  })

  describe('items applied together', () => {
    /**
     * Creates students from commands with one statement for all: an email taken
     * (here or earlier in the same statement) refuses that command only.
     */
    function studentsTogether(calls: number[]): TogetherApply<typeof catalogue> {
      return {
        async apply(tx, list) {
          calls.push(list.length)
          const wanted = list.map(({ item }) => ({ id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: (item as { email?: string }).email! }))
          if (wanted.some((w) => w.email.startsWith('boom'))) throw new TransientError('DB_SLOW', 'timeout')
          const rows = await tx.execute<{ id: string }>(
            sql`insert into profile.students (id, user_id, email) select id, user_id, email from json_to_recordset(${JSON.stringify(wanted)}::json) as w(id uuid, user_id uuid, email text) on conflict do nothing returning id`,
          )
          const made = new Set(rows.map((r) => r.id))
          return list.map(({ emit }, n) => {
            const w = wanted[n]!
            if (!made.has(w.id)) return conflict('email taken')
            emit('student.created', { student_id: w.id, user_id: w.user_id, email: w.email })
            return { status: 201, body: { id: w.id } }
          })
        },
      }
    }
    const command = (together: TogetherApply<typeof catalogue>, email: string, id = crypto.randomUUID()): WorkItem<typeof catalogue> => {
      const item: WorkItem<typeof catalogue> & { email: string } = {
        email,
        consumer: 'commands',
        messageId: id,
        correlationId: null,
        commandType: 'profile.create_student',
        together,
        async apply(tx, emit) {
          const [answer] = await together.apply(tx, [{ item, emit }])
          if (answer instanceof DomainError) throw answer
          return answer
        },
      }
      return item
    }

    test('one call for the whole run of them; a refused one is answered, with no effect; each emits its own event', async () => {
      const calls: number[] = []
      const together = studentsTogether(calls)
      const taken = crypto.randomUUID()
      const items = [command(together, `${taken}@t.example.org`), command(together, `${crypto.randomUUID()}@t.example.org`), command(together, `${taken}@t.example.org`)]
      const { outcomes, committed } = await uow.run(items)
      expect(calls).toEqual([3])
      expect(outcomes.map((o) => (o as { stored: { status: number } }).stored.status)).toEqual([201, 201, 409])
      expect(committed.map((c) => c.envelope.causation_id)).toEqual([items[0]!.messageId, items[1]!.messageId])
      expect(await count('profile.students', sql`email = ${`${taken}@t.example.org`}`)).toBe(1)
      const again = await uow.run([items[2]!])
      expect(again.outcomes[0]).toMatchObject({ kind: 'duplicate', stored: { status: 409 } })
    })

    test('a duplicate or an item of another kind ends the run; the next run is another call', async () => {
      const calls: number[] = []
      const together = studentsTogether(calls)
      const seen = command(together, `${crypto.randomUUID()}@t.example.org`)
      await uow.run([seen])
      calls.length = 0
      const other = createStudent(crypto.randomUUID(), `${crypto.randomUUID()}@t.example.org`)
      const { outcomes } = await uow.run([
        command(together, `${crypto.randomUUID()}@t.example.org`),
        seen,
        command(together, `${crypto.randomUUID()}@t.example.org`),
        command(together, `${crypto.randomUUID()}@t.example.org`),
        other,
        command(together, `${crypto.randomUUID()}@t.example.org`),
      ])
      expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'duplicate', 'applied', 'applied', 'applied', 'applied'])
      // First every message is taken for new (four in a row, then one); the inbox's answer, the one seen
      // before, undoes that attempt, and the next, inbox first, runs around it.
      expect(calls).toEqual([4, 1, 1, 2, 1])
      expect(await count('profile.students', sql`email = ${(seen as { email?: string }).email!}`)).toBe(1)
    })

    test('a batch holding a message the broker delivered before records the inbox first: nothing runs twice', async () => {
      const calls: number[] = []
      const together = studentsTogether(calls)
      const seen = command(together, `${crypto.randomUUID()}@t.example.org`)
      await uow.run([seen])
      calls.length = 0
      const { outcomes } = await uow.run([command(together, `${crypto.randomUUID()}@t.example.org`), { ...seen, redelivered: true }, command(together, `${crypto.randomUUID()}@t.example.org`)])
      expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'duplicate', 'applied'])
      expect(calls).toEqual([1, 1])
    })

    test('when the call fails, each item is applied on its own: the failing one is taken out, the others applied', async () => {
      const calls: number[] = []
      const together = studentsTogether(calls)
      const emails = [`${crypto.randomUUID()}@t.example.org`, `boom-${crypto.randomUUID()}@t.example.org`, `${crypto.randomUUID()}@t.example.org`]
      const { outcomes, committed } = await uow.run(emails.map((e) => command(together, e)))
      expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'failed', 'applied'])
      // Together once; then one by one, and once more without the bad one.
      expect(calls).toEqual([3, 1, 1, 1, 1])
      expect(committed).toHaveLength(2)
      expect(await count('profile.students', sql`email = ${emails[0]!} or email = ${emails[2]!}`)).toBe(2)
    })
  })

  test('the server forgetting its prepared statements (a pooler, DISCARD) never commits an outbox row or a result without its change', async () => {
    const db = openDatabase(database.url, { max: 1 })
    const single = createUnitOfWork({ db, tables: profileRuntime, catalogue, validator: compileCatalogue(catalogue), service: 'profile' })
    try {
      await single.run([createStudent(crypto.randomUUID(), `${crypto.randomUUID()}@forgot.example.org`)])
      await db.execute(sql`deallocate all`)
      const id = crypto.randomUUID()
      const email = `${crypto.randomUUID()}@forgot.example.org`
      const counts = async () => [await count('profile.students', sql`email = ${email}`), await count('profile.outbox', sql`envelope->>'causation_id' = ${id}`), await count('profile.command_results', sql`command_id = ${id}`)]
      // Each lost statement fails one attempt (a transient failure: the message comes back later), and
      // leaves nothing behind; then the message is applied, entirely.
      let outcome = (await single.run([createStudent(id, email)])).outcomes[0]!
      for (let retries = 0; outcome.kind === 'failed' && retries < 5; retries++) {
        expect(await counts()).toEqual([0, 0, 0])
        outcome = (await single.run([createStudent(id, email)])).outcomes[0]!
      }
      expect(outcome.kind).toBe('applied')
      expect(await counts()).toEqual([1, 1, 1])
    } finally {
      await db.$client.end()
    }
  })

  test('two batches that deadlock: PostgreSQL undoes one, which is made again at once; both are applied, each once', async () => {
    const [a, b] = [`${crypto.randomUUID()}@lock-a.example.org`, `${crypto.randomUUID()}@lock-b.example.org`]
    for (const email of [a, b]) await database.db.insert(students).values({ id: crypto.randomUUID(), userId: crypto.randomUUID(), email })
    let arrived = 0
    let meet: () => void = () => {}
    const met = new Promise<void>((resolve) => (meet = resolve))
    /** Takes its first row, waits until the other batch has taken its own, then takes the other's row. */
    const crossing = (first: string, second: string): WorkItem<typeof catalogue> => ({
      consumer: 'events',
      messageId: crypto.randomUUID(),
      correlationId: null,
      async apply(tx) {
        const lock = (email: string) => tx.execute(sql`select 1 from profile.students where email = ${email} for update`)
        await lock(first)
        if (++arrived === 2) meet()
        await met
        await lock(second)
        await tx.execute(sql`update profile.students set phone = coalesce(phone, '') || '+' where email in (${first}, ${second})`)
      },
    })
    const runs = await Promise.all([uow.run([crossing(a, b)]), uow.run([crossing(b, a)])])
    expect(runs.map((r) => r.outcomes[0]!.kind)).toEqual(['applied', 'applied'])
    // Each batch's change once: the undone one left nothing behind.
    expect(await count('profile.students', sql`email in (${a}, ${b}) and phone = '++'`)).toBe(2)
  }, 15_000)
})
