import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../broker.ts'
import { client, registerPerson, startPlatform, type Platform } from './platform.ts'

/**
 * An internship from the establishment to the grade, through the gateway with
 * every process real: what each person does, and what each then sees.
 */
let platform: Platform
let api: ReturnType<typeof client>
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  platform = await startPlatform('e2e-stage')
  api = client(platform.gateway)
}, 60_000)
afterAll(() => platform.close(), 30_000)

const person = (role: 'student' | 'encadrant', first: string) => registerPerson(api, platform.smtp, role, first)

/** The caller's notifications, newest first, once `count` of them are there. */
async function notifications(token: string, count: number) {
  let items: { type: string; related_type: string | null; related_id: string | null; title: string; body: string }[] = []
  await waitFor(async () => (items = (await api.get('/comm/api/notifications?per_page=100', token)).body?.items ?? []).length >= count, 15_000, `${count} notifications`)
  await Bun.sleep(300)
  return (await api.get('/comm/api/notifications?per_page=100', token)).body.items as typeof items
}

describe('cascade 3: an internship, end to end', () => {
  test('establishment → offer of 2 places → two stages (a third is OFFER_FULL) → accepted, started, completed → evaluation → grade; the other cancelled with its reason, its place free again; everyone told at each step', async () => {
    const admin = await platform.admin()
    const hospital = await api.post('/profile/api/establishments', { name: 'CHU Ibn Sina', city: 'Rabat' }, admin.token)
    expect(hospital.status).toBe(201)
    const sup = await person('encadrant', 'Karim')
    expect((await api.patch(`/profile/api/encadrants/${sup.profile.id}`, { establishment_id: hospital.body.id }, admin.token)).status).toBe(200)
    const [ana, ben, cyr] = [await person('student', 'Ana'), await person('student', 'Ben'), await person('student', 'Cyr')]

    // core has heard of the establishment once an offer for it is taken.
    let offer: { status: number; body: any } | undefined
    await waitFor(
      async () => (offer = await api.post('/core/api/offers', { establishment_id: hospital.body.id, title: 'Cardiologie', speciality: 'cardiology', start_date: inDays(20), end_date: inDays(80), capacity: 2 }, admin.token)).status === 201,
      15_000,
      'the offer',
    )
    const offerId = offer!.body.id as string
    expect((await api.get(`/core/api/offers?establishment_id=${hospital.body.id}`, ana.token)).body.items[0]).toMatchObject({ id: offerId, places_taken: 0, places_left: 2 })

    const assign = async (s: { profile: { id: string } }) => {
      let res: { status: number; body: any } | undefined
      // core hears of each student from profile's event.
      await waitFor(async () => (res = await api.post('/core/api/stages', { student_id: s.profile.id, offer_id: offerId }, admin.token)).status !== 422, 15_000, 'the student known to core')
      return res!
    }
    const first = await assign(ana)
    const second = await assign(ben)
    expect([first.status, second.status]).toEqual([201, 201])
    expect(await assign(cyr)).toMatchObject({ status: 409, body: { error: 'OFFER_FULL' } })
    const stageId = first.body.id as string
    const otherId = second.body.id as string

    // Waiting for acceptance: the encadrant of the establishment sees both, each student theirs.
    await waitFor(async () => (await api.get('/core/api/stages?status=created', sup.token)).body?.items?.length === 2, 15_000, 'the encadrant to know of the stages')
    expect((await api.get(`/core/api/stages/${otherId}`, ana.token)).status).toBe(404)
    // Not yet theirs to supervise: the encadrant cannot read Ana's profile.
    expect((await api.get(`/profile/api/students/${ana.profile.id}`, sup.token)).status).toBe(403)

    expect(await api.post(`/core/api/stages/${stageId}/accept`, {}, sup.token)).toMatchObject({ status: 200, body: { status: 'accepted', encadrant_id: sup.profile.id } })
    await waitFor(async () => (await api.get(`/profile/api/students/${ana.profile.id}`, sup.token)).status === 200, 15_000, 'supervision known to profile')
    expect((await api.get(`/profile/api/students/${ben.profile.id}`, sup.token)).status).toBe(403)
    expect((await api.post(`/core/api/stages/${stageId}/start`, {}, sup.token)).body.status).toBe('started')
    expect((await api.post(`/core/api/stages/${stageId}/complete`, {}, sup.token)).body.status).toBe('completed')

    // eval opened the evaluation for the encadrant; they write it.
    await waitFor(async () => (await api.get('/eval/api/evaluations?status=pending', sup.token)).body?.items?.length === 1, 15_000, 'the pending evaluation')
    const evaluation = await api.post('/eval/api/evaluations', { stage_id: stageId, score: 16.5, criteria: [{ name: 'clinical reasoning', score: 17 }], comment: 'Rigorous and kind.' }, sup.token)
    expect(evaluation).toMatchObject({ status: 201, body: { stage_id: stageId, score: 16.5 } })
    await waitFor(async () => (await api.get('/eval/api/evaluations', ana.token)).body?.items?.length === 1, 15_000, 'the evaluation visible to the student')

    const grade = await api.post('/eval/api/grades', { stage_id: stageId }, admin.token)
    expect(grade).toMatchObject({ status: 201, body: { stage_id: stageId, final_grade: 16.5 } })
    let tracking: { status: number; body: any } | undefined
    await waitFor(async () => (tracking = await api.get(`/core/api/tracking/${ana.profile.id}`, ana.token)).body?.stages?.completed?.[0]?.final_grade === 16.5, 15_000, 'the grade in the tracking')
    expect(tracking!.body).toMatchObject({ status: 'completed', stages_completed: 1, stages: { completed: [{ id: stageId, offer_title: 'Cardiologie' }] } })
    expect((await api.get(`/eval/api/grades?student_id=${ana.profile.id}`, ana.token)).body).toMatchObject({ student_id: ana.profile.id, stages: [{ stage_id: stageId, final_grade: 16.5 }] })

    // The other stage is cancelled: its place is free again.
    expect(await api.post(`/core/api/stages/${otherId}/cancel`, { reason: 'The ward closes for renovation' }, admin.token)).toMatchObject({ status: 200, body: { status: 'cancelled' } })
    expect((await api.get(`/core/api/offers/${offerId}`, admin.token)).body).toMatchObject({ places_taken: 1, places_left: 1 })
    const third = await assign(cyr)
    expect(third.status).toBe(201)

    // What each person was told, and what it links to.
    const anaSaw = await notifications(ana.token, 7)
    // As a set: notifications of one batch of events share their time.
    const kinds = (items: typeof anaSaw) => items.map((n) => [n.type, n.related_type, n.related_id]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    const sorted = <T>(list: T[]) => [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    expect(kinds(anaSaw)).toEqual(sorted([
      ['welcome', null, null],
      ['stage', 'stage', stageId],
      ['stage', 'stage', stageId],
      ['stage', 'stage', stageId],
      ['stage', 'stage', stageId],
      ['evaluation', 'evaluation', evaluation.body.id],
      ['grade', 'stage', stageId],
    ]))
    const benSaw = await notifications(ben.token, 3)
    expect(kinds(benSaw)).toEqual(sorted([
      ['welcome', null, null],
      ['stage', 'stage', otherId],
      ['stage', 'stage', otherId],
    ]))
    expect(benSaw.some((n) => n.body.includes('The ward closes for renovation'))).toBe(true)
    // The encadrant: every step of the stage they supervise and the evaluation to write; the creation of each stage
    // of their establishment, waiting to be accepted; not the cancellation of a stage that was never theirs.
    const supSaw = await notifications(sup.token, 7)
    const named = (id: string | null) => (id === stageId ? 'ana' : id === otherId ? 'ben' : id === third.body.id ? 'cyr' : id)
    expect(kinds(supSaw).map(([type, , id]) => `${type}:${named(id ?? null)}`).sort()).toEqual([
      'stage:ana',
      'stage:ben',
      'stage:ana',
      'stage:ana',
      'stage:ana',
      'evaluation_due:ana',
      'stage:cyr',
    ].sort())

    // The important steps were mailed too, and comm's log shows them beside auth's emails.
    const mailed = async (who: { address: string }, count: number) => {
      await waitFor(() => platform.smtp.to(who.address).length >= count, 15_000, `${count} emails to ${who.address}`)
      return platform.smtp.to(who.address).map((m) => m.subject).sort()
    }
    expect(await mailed(ana, 3)).toEqual(['Confirm your MedTrack email address', 'Your final grade: 16.5/20', 'Your internship was accepted'])
    expect(await mailed(ben, 2)).toEqual(['Confirm your MedTrack email address', 'Your internship was cancelled'])
    expect(platform.smtp.to(ben.address).find((m) => m.subject === 'Your internship was cancelled')!.text).toContain('Reason: “The ward closes for renovation”')
    expect(await mailed(sup, 3)).toEqual(['An evaluation to write', 'Confirm your MedTrack email address', 'You supervise a new internship'])
    let log: { status: number; body: any } | undefined
    await waitFor(async () => (log = await api.get(`/comm/api/emails?recipient=${encodeURIComponent(ana.address)}`, admin.token)).body?.items?.length === 3, 15_000, "ana's emails in the log")
    expect(log!.body.items.map((e: { producer: string; subject: string; status: string }) => `${e.producer} ${e.status} ${e.subject}`).sort()).toEqual([
      'auth-service sent Confirm your MedTrack email address',
      'comm-service sent Your final grade: 16.5/20',
      'comm-service sent Your internship was accepted',
    ])
    expect((await api.get('/comm/api/emails', ana.token)).status).toBe(403)
  }, 120_000)
})
