import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../broker.ts'
import { client, registerPerson, startPlatform, type Platform } from './platform.ts'

/**
 * Messages through the gateway with every process real: a student and the
 * encadrant who accepted their stage write to each other; comm learns who
 * supervises whom from core's events and who has which role from auth's.
 */
let platform: Platform
let api: ReturnType<typeof client>
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  platform = await startPlatform('e2e-messages')
  api = client(platform.gateway)
}, 60_000)
afterAll(() => platform.close(), 30_000)

const person = (role: 'student' | 'encadrant', first: string) => registerPerson(api, platform.smtp, role, first)

describe('messages, end to end', () => {
  test('a student writes to the encadrant who accepted their stage, who replies; boxes, unread counts and notifications follow; others are refused', async () => {
    const admin = await platform.admin()
    const hospital = await api.post('/profile/api/establishments', { name: 'CHU Hassan II', city: 'Fès' }, admin.token)
    expect(hospital.status).toBe(201)
    const sup = await person('encadrant', 'Nadia')
    expect((await api.patch(`/profile/api/encadrants/${sup.profile.id}`, { establishment_id: hospital.body.id }, admin.token)).status).toBe(200)
    const ana = await person('student', 'Ana')
    const ben = await person('student', 'Ben')

    let offer: { status: number; body: any } | undefined
    await waitFor(
      async () => (offer = await api.post('/core/api/offers', { establishment_id: hospital.body.id, title: 'Neurologie', start_date: inDays(20), end_date: inDays(80), capacity: 2 }, admin.token)).status === 201,
      15_000,
      'the offer',
    )
    let stage: { status: number; body: any } | undefined
    await waitFor(async () => (stage = await api.post('/core/api/stages', { student_id: ana.profile.id, offer_id: offer!.body.id }, admin.token)).status !== 422, 15_000, 'the student known to core')
    expect(stage!.status).toBe(201)

    // Before anyone accepted the stage, Ana has no encadrant to write to.
    const early = await api.post('/comm/api/messages', { receiver_id: sup.userId, subject: 'Hello', body: 'Are you my supervisor?' }, ana.token)
    expect(early).toMatchObject({ status: 403, body: { error: 'FORBIDDEN', problems: [{ path: '/receiver_id' }] } })
    await waitFor(async () => (await api.get('/core/api/stages?status=created', sup.token)).body?.items?.length === 1, 15_000, 'the encadrant to know of the stage')
    expect((await api.post(`/core/api/stages/${stage!.body.id}/accept`, {}, sup.token)).status).toBe(200)

    // comm hears of the acceptance from core's event: until then, still refused.
    let sent: { status: number; body: any } | undefined
    await waitFor(
      async () => (sent = await api.post('/comm/api/messages', { receiver_id: sup.userId, subject: 'My first day', body: 'Where do I meet you on Monday?' }, ana.token)).status !== 403,
      15_000,
      'comm to know Nadia supervises Ana',
    )
    expect(sent).toMatchObject({ status: 201, body: { sender_id: ana.userId, receiver_id: sup.userId, subject: 'My first day', reply_to: null } })
    const question = sent!.body
    expect(question.thread_id).toBe(question.id)

    expect((await api.get('/comm/api/messages', sup.token)).body).toMatchObject({ box: 'inbox', total: 1, unread: 1, items: [{ id: question.id }] })
    expect((await api.get('/comm/api/messages?box=sent', ana.token)).body).toMatchObject({ box: 'sent', total: 1, unread: 0, items: [{ id: question.id }] })
    let notices: any[] = []
    await waitFor(async () => (notices = (await api.get('/comm/api/notifications?type=message', sup.token)).body?.items ?? []).length === 1, 15_000, "Nadia's notification")
    expect(notices[0]).toMatchObject({ type: 'message', related_type: 'message', related_id: question.id, title: 'New message: My first day', read: false })

    const reply = await api.post('/comm/api/messages', { receiver_id: ana.userId, subject: 'Re: My first day', body: 'At the neurology desk, 8:00.', reply_to: question.id }, sup.token)
    expect(reply).toMatchObject({ status: 201, body: { reply_to: question.id, thread_id: question.id } })
    expect((await api.get('/comm/api/messages', ana.token)).body).toMatchObject({ total: 1, unread: 1, items: [{ id: reply.body.id }] })
    expect((await api.get(`/comm/api/messages/${reply.body.id}/thread`, ana.token)).body.items.map((m: { id: string }) => m.id)).toEqual([question.id, reply.body.id])

    expect(await api.post(`/comm/api/messages/${reply.body.id}/read`, undefined, ana.token)).toMatchObject({ status: 200, body: { id: reply.body.id, read: true } })
    expect((await api.get('/comm/api/messages', ana.token)).body.unread).toBe(0)
    expect((await api.get('/comm/api/notifications?type=message', ana.token)).body.items).toEqual([expect.objectContaining({ related_id: reply.body.id, read: true })])
    expect((await api.get('/comm/api/messages', sup.token)).body.unread).toBe(1)

    // Ben is no one's to write to for Ana, nor may he read what is not his.
    expect((await api.post('/comm/api/messages', { receiver_id: ana.userId, subject: 'Hi', body: 'Hi Ana' }, ben.token)).status).toBe(403)
    expect((await api.post('/comm/api/messages', { receiver_id: ben.userId, subject: 'Hi', body: 'Hi Ben' }, sup.token)).status).toBe(403)
    expect((await api.get(`/comm/api/messages/${question.id}`, ben.token)).status).toBe(404)
    // Anyone writes to an admin; an admin to anyone.
    // (comm hears of the admin's account from auth's outbox relay.)
    let toAdmin: { status: number } | undefined
    await waitFor(async () => (toAdmin = await api.post('/comm/api/messages', { receiver_id: admin.id, subject: 'My convention', body: 'Is it signed?' }, ben.token)).status !== 422, 15_000, 'comm to know the admin')
    expect(toAdmin!.status).toBe(201)
    expect((await api.post('/comm/api/messages', { receiver_id: ben.userId, subject: 'Re: My convention', body: 'Yes.' }, admin.token)).status).toBe(201)

    const bad = await api.post('/comm/api/messages', { receiver_id: sup.userId, subject: 'x'.repeat(201), body: '' }, ana.token)
    expect(bad.status).toBe(422)
    expect(bad.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['/body', '/subject'])
  }, 120_000)
})
