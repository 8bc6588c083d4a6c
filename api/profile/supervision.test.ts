import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { createPublisher, type EventPublisher } from '../../core/index.ts'
import { supervisions } from '../../schemas/db/profile.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { startProfileService, uniqueEmail, type ProfileService } from './test-service.ts'

let s: ProfileService
/** Publishes as core, the producer of `stage.*`. */
let core: EventPublisher<typeof catalogue>

beforeAll(async () => {
  s = await startProfileService('supervision')
  core = createPublisher({ connection: s.connection, catalogue, service: 'core', namespace: s.namespace })
})
afterAll(async () => {
  await core.close()
  await s.close()
})

async function created(path: string) {
  const res = await s.as('admin').post(path, { email: uniqueEmail(path.slice(1)) })
  expect(res.status).toBe(201)
  return res.body as { id: string; user_id: string }
}

/** Publishes a stage event as core does (with its extras) and waits until profile has applied it. */
async function stageEvent(type: 'stage.accepted' | 'stage.cancelled', stage: { stage_id: string; student_id: string; encadrant_id: string }) {
  const extras = { ...stage, offer_id: crypto.randomUUID(), establishment_id: crypto.randomUUID() }
  const envelope = type === 'stage.accepted' ? await core.publish(type, extras) : await core.publish(type, { ...extras, reason: 'The ward closes' })
  await s.applied(envelope.event_id)
}

const reads = async (encadrant: { user_id: string }, student: { id: string }) => (await s.as('encadrant', encadrant.user_id).get(`/students/${student.id}`)).status

describe('an encadrant reads the students they supervise', () => {
  test('the student of a stage they accepted: 200 with the profile; another student, or another encadrant: 403; after stage.cancelled: 403', async () => {
    const supervisor = await created('/encadrants')
    const other = await created('/encadrants')
    const ada = await created('/students')
    const grace = await created('/students')
    expect(await reads(supervisor, ada)).toBe(403)

    const stage = { stage_id: crypto.randomUUID(), student_id: ada.id, encadrant_id: supervisor.id }
    await stageEvent('stage.accepted', stage)
    const res = await s.as('encadrant', supervisor.user_id).get(`/students/${ada.id}`)
    expect(res).toEqual({ status: 200, body: (await s.as('admin').get(`/students/${ada.id}`)).body })
    expect(await reads(supervisor, grace)).toBe(403)
    expect(await reads(other, ada)).toBe(403)

    await stageEvent('stage.cancelled', stage)
    expect(await reads(supervisor, ada)).toBe(403)
    expect((await s.as('encadrant', supervisor.user_id).get(`/students/${ada.id}`)).body.error).toBe('FORBIDDEN')
  })

  test('a stage cancelled, another of the same student still supervised: 200; a cancellation heard before its acceptance grants nothing', async () => {
    const supervisor = await created('/encadrants')
    const ada = await created('/students')
    const first = { stage_id: crypto.randomUUID(), student_id: ada.id, encadrant_id: supervisor.id }
    const second = { ...first, stage_id: crypto.randomUUID() }
    await stageEvent('stage.accepted', first)
    await stageEvent('stage.accepted', second)
    await stageEvent('stage.cancelled', first)
    expect(await reads(supervisor, ada)).toBe(200)
    await stageEvent('stage.cancelled', second)
    expect(await reads(supervisor, ada)).toBe(403)

    const grace = await created('/students')
    const late = { stage_id: crypto.randomUUID(), student_id: grace.id, encadrant_id: supervisor.id }
    await stageEvent('stage.cancelled', late)
    await stageEvent('stage.accepted', late)
    expect(await reads(supervisor, grace)).toBe(403)
    expect(await s.database.db.select().from(supervisions).where(eq(supervisions.stageId, late.stage_id))).toEqual([
      expect.objectContaining({ studentId: grace.id, encadrantId: supervisor.id, active: false }),
    ])
  })

  test('an encadrant token whose account has no encadrant profile reads no student: 403', async () => {
    const ada = await created('/students')
    expect(await reads({ user_id: crypto.randomUUID() }, ada)).toBe(403)
  })
})
