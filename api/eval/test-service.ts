import type { Static } from '@sinclair/typebox'
import { and, eq } from 'drizzle-orm'
import type { Envelope } from '../../core/index.ts'
import { evalEncadrants, evalStages, evalStudents, evaluations } from '../../schemas/db/eval.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import { jsonClient, startService, tokenFor, type Answer, type Service } from '../../test/service.ts'
import { evalWorker } from '../../workers/eval/worker.ts'
import type { Role } from '../kit/jwt.ts'
import { evalApi } from './app.ts'

type Catalogue = typeof catalogue
type EventType = keyof Catalogue & string

export type { Answer } from '../../test/service.ts'

/** Calls the eval API as one caller (no token: anonymous). */
export interface Client {
  get(path: string): Promise<Answer>
  post(path: string, body: unknown): Promise<Answer>
  patch(path: string, body: unknown): Promise<Answer>
}

export interface Encadrant {
  encadrant_id: string
  user_id: string
}

export interface Student {
  student_id: string
  user_id: string
}

export interface Stage {
  stage_id: string
  student: Student
  encadrant: Encadrant
  offer_id: string
  establishment_id: string
}

const STEPS = ['created', 'accepted', 'started', 'completed'] as const
type Step = (typeof STEPS)[number]

/**
 * The eval service of one test file (test/service.ts): its own database and
 * broker namespace, API and worker in-process, a tap that keeps every event
 * published, and the events of core and profile published as they would.
 */
export interface EvalService {
  service: Service
  as(role: Role, sub?: string): Client
  anonymous: Client
  /** Publishes an event as its producer (core for `stage.*`, profile for the others) would. */
  publish<T extends EventType>(type: T, payload: Static<Catalogue[T]['payload']>, eventId?: string): Promise<Envelope>
  /** Waits until an event of the type whose payload matches has been seen on the bus. */
  waitForEvent(type: EventType, match: (payload: any) => boolean): Promise<Envelope>
  /** Every event of the type seen on the bus so far whose payload matches. */
  seen(type: EventType, match?: (payload: any) => boolean): Envelope[]
  /** A new encadrant, once eval knows them. */
  encadrant(): Promise<Encadrant>
  /** A new student, once eval knows them. */
  student(): Promise<Student>
  /** A new stage of the student supervised by the encadrant, taken through its steps up to `upTo`, once eval has applied them (the pending evaluation opened, for `completed`). */
  stage(student: Student, encadrant: Encadrant, upTo: Step): Promise<Stage>
  /** The events that take a stage to `step`, with every extra core puts on them. */
  stageEvent(stage: Stage, step: Step): { type: EventType; payload: any }
  /** The stage as eval's read model has it. */
  stageRow(stageId: string): Promise<typeof evalStages.$inferSelect | undefined>
  /** The evaluation rows of a stage. */
  evaluationsOf(stageId: string): Promise<(typeof evaluations.$inferSelect)[]>
  close(): Promise<void>
}

export async function startEvalService(label: string, env: Record<string, string> = {}): Promise<EvalService> {
  const service = await startService({ label, api: evalApi, worker: evalWorker, env: { RELAY_INTERVAL_MS: '200', ...env } })
  const { db } = service.database
  const tap = await service.tap()
  const core = service.publisher('core')
  const profile = service.publisher('profile')

  const client = (token?: Promise<string>): Client => jsonClient(service.url('/eval/api'), token)

  const publish: EvalService['publish'] = (type, payload, eventId) => (type.startsWith('stage.') ? core : profile).publish(type, payload, eventId ? { eventId } : {})
  const stageRow = async (stageId: string) => (await db.select().from(evalStages).where(eq(evalStages.stageId, stageId)))[0]
  const evaluationsOf = (stageId: string) => db.select().from(evaluations).where(eq(evaluations.stageId, stageId))

  const stageEvent = (stage: Stage, step: Step) => {
    const extras = { student_id: stage.student.student_id, offer_id: stage.offer_id, establishment_id: stage.establishment_id }
    const supervised = { ...extras, encadrant_id: stage.encadrant.encadrant_id }
    switch (step) {
      case 'created':
        return { type: 'stage.created' as const, payload: { ...extras, stage_id: stage.stage_id, start_date: '2026-09-01', end_date: '2026-11-30' } }
      case 'accepted':
        return { type: 'stage.accepted' as const, payload: { ...supervised, stage_id: stage.stage_id } }
      case 'started':
        return { type: 'stage.started' as const, payload: { ...supervised, stage_id: stage.stage_id, actual_start_date: '2026-09-01' } }
      case 'completed':
        return { type: 'stage.completed' as const, payload: { ...supervised, stage_id: stage.stage_id, completion_date: '2026-11-30' } }
    }
  }

  return {
    service,
    as: (role, sub) => client(tokenFor(role, sub)),
    anonymous: client(),
    publish,
    async waitForEvent(type, match) {
      let found: Envelope | undefined
      await waitFor(() => !!(found = tap.envelopes().find((e) => e.event_type === type && match(e.payload))), 10_000, `${type} on the bus`)
      return found!
    },
    seen: (type, match = () => true) => tap.envelopes().filter((e) => e.event_type === type && match(e.payload)),
    async encadrant() {
      const encadrant = { encadrant_id: crypto.randomUUID(), user_id: crypto.randomUUID() }
      await publish('encadrant.created', { ...encadrant, email: `enc-${encadrant.encadrant_id.slice(0, 8)}@example.org`, establishment_id: null })
      await waitFor(async () => (await db.select().from(evalEncadrants).where(eq(evalEncadrants.encadrantId, encadrant.encadrant_id))).length === 1, 10_000, 'the encadrant known')
      return encadrant
    },
    async student() {
      const student = { student_id: crypto.randomUUID(), user_id: crypto.randomUUID() }
      await publish('student.created', { ...student, email: `st-${student.student_id.slice(0, 8)}@example.org` })
      await waitFor(async () => (await db.select().from(evalStudents).where(eq(evalStudents.studentId, student.student_id))).length === 1, 10_000, 'the student known')
      return student
    },
    async stage(student, encadrant, upTo) {
      const stage: Stage = { stage_id: crypto.randomUUID(), student, encadrant, offer_id: crypto.randomUUID(), establishment_id: crypto.randomUUID() }
      for (const step of STEPS.slice(0, STEPS.indexOf(upTo) + 1)) {
        const { type, payload } = stageEvent(stage, step)
        await publish(type, payload)
      }
      await waitFor(async () => (await stageRow(stage.stage_id))?.status === upTo, 10_000, `the stage ${upTo}`)
      if (upTo === 'completed') {
        await waitFor(
          async () => (await db.select().from(evaluations).where(and(eq(evaluations.stageId, stage.stage_id), eq(evaluations.evaluatorId, encadrant.user_id)))).length === 1,
          10_000,
          'the pending evaluation',
        )
      }
      return stage
    },
    stageEvent,
    stageRow,
    evaluationsOf,
    close: () => service.close(),
  }
}

/** The paths named in a 422 answer. */
export const problemPaths = (a: Answer): string[] => (a.body?.problems ?? []).map((p: { path: string }) => p.path)
