import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { commEncadrants } from '../../schemas/db/comm.ts'
import { waitFor } from '../broker.ts'
import { client, registerPerson, startPlatform, verifyAddress, type Platform } from './platform.ts'

/**
 * The operators' view of the platform, every process real: the audit trail
 * of a registration and of an internship, a cascade's lineage with who
 * applied each step, the search by an entity's id, and a dead letter of comm
 * seen, its cause mended, replayed and applied once.
 */
let platform: Platform
let api: ReturnType<typeof client>
let admin: { id: string; token: string }
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  platform = await startPlatform('e2e-ops')
  api = client(platform.gateway)
  admin = await platform.admin()
}, 60_000)
afterAll(() => platform.close(), 30_000)

interface Node {
  id: string
  kind: 'event' | 'command'
  type: string | null
  producer: string | null
  consumers: { service: string; received_at: string }[]
  children: Node[]
}

/** Every node of a tree with the id of the node it hangs under (null at a root). */
const flatten = (nodes: Node[], parent: string | null = null): { node: Node; parent: string | null }[] => nodes.flatMap((node) => [{ node, parent }, ...flatten(node.children, node.id)])

/** The audited events of a correlation, once `types` are all there. */
async function audited(correlation: string, types: string[]) {
  let items: { event_id: string; type: string; causation_id: string | null }[] = []
  await waitFor(
    async () => {
      items = (await api.get(`/ops/api/events?correlation_id=${correlation}&per_page=100`, admin.token)).body?.items ?? []
      return types.every((t) => items.some((e) => e.type === t))
    },
    15_000,
    `${types.join(', ')} in the audit trail`,
  )
  return items
}

describe('the ops API through the gateway', () => {
  test("a registration's lineage from the X-Request-Id that began it: the command at the root, every event of it once under the one that caused it, each with the services that applied it", async () => {
    const requestId = `register-${crypto.randomUUID()}`
    const address = `ops-${crypto.randomUUID().slice(0, 8)}@example.org`
    const registered = await api.post('/auth/api/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Ops' }, undefined, { 'x-request-id': requestId })
    expect(registered.status).toBe(201)
    const events = await audited(requestId, ['user.created', 'student.created', 'notification.created'])

    let lineage: { status: number; body: any } | undefined
    // The consumers are told as each worker applies its events: wait until the welcome's is there.
    await waitFor(
      async () => {
        lineage = await api.get(`/ops/api/lineage/${requestId}`, admin.token)
        const nodes = flatten(lineage.body?.roots ?? []).map((n) => n.node)
        return nodes.length === events.length + 1 && nodes.every((n) => n.consumers.some((c) => c.service === 'ops') || n.kind === 'command')
      },
      30_000,
      'the whole lineage',
    )
    expect(lineage!.status).toBe(200)
    expect(lineage!.body).toMatchObject({ id: requestId, correlation_id: requestId, unreachable: [] })
    const [root, ...more] = lineage!.body.roots as Node[]
    expect(more).toEqual([])
    expect(root).toMatchObject({ kind: 'command', type: 'auth.register_user' })
    // The command was applied by auth's worker, from its commands queue.
    expect(root!.consumers.map((c) => c.service)).toEqual(['auth'])
    const placed = flatten([root!])
    // Every audited event of the request appears once, under the event or command that caused it.
    expect(placed.filter((p) => p.node.kind === 'event').map((p) => p.node.id).sort()).toEqual(events.map((e) => e.event_id).sort())
    for (const e of events) expect(placed.find((p) => p.node.id === e.event_id)!.parent).toBe(e.causation_id)
    const of = (type: string) => placed.find((p) => p.node.type === type)!.node
    expect(of('user.created').producer).toBe('auth-service')
    expect(root!.children.map((c) => c.type)).toContain('user.created')
    // profile made the student of the new user; comm welcomed them; everyone bound to them applied them.
    expect(placed.find((p) => p.node.type === 'student.created')!.parent).toBe(of('user.created').id)
    expect(of('user.created').consumers.map((c) => c.service)).toEqual(expect.arrayContaining(['profile', 'comm', 'ops']))
    expect(of('student.created').consumers.map((c) => c.service)).toEqual(expect.arrayContaining(['auth', 'comm', 'core', 'eval', 'ops']))

    // The same tree from the command's id, or from an event deep in it.
    expect((await api.get(`/ops/api/lineage/${root!.id}`, admin.token)).body.roots).toEqual(lineage!.body.roots)
    expect((await api.get(`/ops/api/lineage/${of('notification.created').id}`, admin.token)).body.roots).toEqual(lineage!.body.roots)
    // Admins only, at the gateway as at the API.
    await verifyAddress(api, platform.smtp, address)
    const student = (await api.post('/auth/api/login', { email: address, password: 'correct horse 42' })).body.access_token
    expect((await api.get(`/ops/api/lineage/${requestId}`, student)).status).toBe(403)
    expect((await api.get(`/ops/api/lineage/${requestId}`)).status).toBe(401)
  }, 60_000)

  test("cascade 3 with a dead letter: comm cannot tell the encadrant of an acceptance whose row it lost; the letter shows in comm's dead letters with its reason; the row back, replayed through the API, it is applied once; the stage's id finds its events", async () => {
    const hospital = await api.post('/profile/api/establishments', { name: 'CHU Ops', city: 'Fès' }, admin.token)
    expect(hospital.status).toBe(201)
    const sup = await registerPerson(api, platform.smtp, 'encadrant', 'Sami')
    expect((await api.patch(`/profile/api/encadrants/${sup.profile.id}`, { establishment_id: hospital.body.id }, admin.token)).status).toBe(200)
    const ana = await registerPerson(api, platform.smtp, 'student', 'Lina')
    let offer: { status: number; body: any } | undefined
    await waitFor(
      async () => (offer = await api.post('/core/api/offers', { establishment_id: hospital.body.id, title: 'Pédiatrie', speciality: 'pediatrics', start_date: inDays(20), end_date: inDays(80), capacity: 1 }, admin.token)).status === 201,
      15_000,
      'the offer',
    )
    let stage: { status: number; body: any } | undefined
    await waitFor(async () => (stage = await api.post('/core/api/stages', { student_id: ana.profile.id, offer_id: offer!.body.id }, admin.token)).status !== 422, 15_000, 'the student known to core')
    expect(stage!.status).toBe(201)
    const stageId = stage!.body.id as string
    await waitFor(async () => (await api.get('/core/api/stages?status=created', sup.token)).body?.items?.length === 1, 15_000, 'the encadrant to know of the stage')

    // comm loses the encadrant's row: the acceptance cannot name whom to tell, and is retried until it is dead-lettered.
    const db = platform.database.db
    const [kept] = await db.select().from(commEncadrants).where(eq(commEncadrants.encadrantId, sup.profile.id))
    expect(kept).toBeDefined()
    await db.delete(commEncadrants).where(eq(commEncadrants.encadrantId, sup.profile.id))
    expect((await api.post(`/core/api/stages/${stageId}/accept`, {}, sup.token)).body.status).toBe('accepted')

    let letters: { message_id: string; type: string; error: string; error_class: string; attempts: number; original_queue: string; body: string }[] = []
    await waitFor(async () => (letters = (await api.get('/ops/api/dead-letters?service=comm', admin.token)).body?.letters ?? []).length === 1, 20_000, "the acceptance in comm's dead letters")
    const [letter] = letters
    expect(letter).toMatchObject({ type: 'stage.accepted', error_class: 'transient', attempts: 6, original_queue: `${platform.namespace}.comm.events` })
    expect(letter!.error).toContain(`encadrant ${sup.profile.id} is not known yet`)
    expect(JSON.parse(letter!.body).payload.stage_id).toBe(stageId)
    const acceptedNotices = async () => ((await api.get('/comm/api/notifications?per_page=100', ana.token)).body.items as { type: string; related_id: string | null; title: string }[]).filter((n) => n.related_id === stageId)
    const before = await acceptedNotices()

    // Mended, then replayed through the API: the ops worker applies the command and says how many it sent back.
    await db.insert(commEncadrants).values(kept!)
    const replayed = await api.post('/ops/api/dead-letters/replay', { service: 'comm', ids: [letter!.message_id] }, admin.token)
    expect(replayed.status).toBe(200)
    expect(replayed.body).toEqual({ service: 'comm', replayed: 1 })
    await waitFor(async () => (await acceptedNotices()).length === before.length + 1, 15_000, "the acceptance told to the student")
    await Bun.sleep(1_000)
    expect((await acceptedNotices()).length).toBe(before.length + 1)
    expect((await api.get('/ops/api/dead-letters?service=comm', admin.token)).body.letters).toEqual([])
    await waitFor(() => platform.smtp.to(ana.address).some((m) => m.subject === 'Your internship was accepted'), 15_000, 'the acceptance mailed')
    expect(platform.smtp.to(ana.address).filter((m) => m.subject === 'Your internship was accepted')).toHaveLength(1)

    // The search by the stage's id finds its events, newest first.
    let found: { type: string }[] = []
    await waitFor(async () => (found = (await api.get(`/ops/api/events?entity_id=${stageId}`, admin.token)).body?.items ?? []).some((e: { type: string }) => e.type === 'stage.accepted'), 15_000, 'the stage in the audit trail')
    expect(found.map((e) => e.type)).toEqual(expect.arrayContaining(['stage.created', 'stage.accepted']))
    expect(found.at(-1)!.type).toBe('stage.created')

    // The queues tell comm's: nothing dead any more, a consumer on its events.
    const queues = await api.get('/ops/api/queues', admin.token)
    expect(queues.status).toBe(200)
    const comm = queues.body.services.find((g: { service: string }) => g.service === 'comm').queues as { kind: string; depth: number; consumers: number }[]
    expect(comm.find((q) => q.kind === 'dead')).toMatchObject({ depth: 0 })
    expect(comm.find((q) => q.kind === 'events')!.consumers).toBeGreaterThanOrEqual(1)
  }, 120_000)
})
