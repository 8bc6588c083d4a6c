import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { medtrackClient } from '../../api/gateway/client.ts'
import { waitFor } from '../broker.ts'
import { startPlatform, type Platform } from './platform.ts'

/**
 * A frontend's typed client (Eden's treaty of MedTrackApi) through the
 * gateway, against the platform's real processes. Each `@ts-expect-error`
 * below is also a typecheck of the client's types: were they lost (every
 * route `any`, say), the line would no longer be an error and the typecheck
 * would fail.
 */
let platform: Platform
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

beforeAll(async () => {
  platform = await startPlatform('e2e-client', { only: ['gateway', 'auth-api', 'auth-worker', 'profile-api', 'profile-worker', 'core-api', 'core-worker', 'ops-api'] })
}, 60_000)
afterAll(() => platform.close(), 30_000)

describe('the typed client', () => {
  test('an admin signs in, posts an establishment and an offer, and reads the offer back typed; a 422 and a 401 are typed errors', async () => {
    const { email, password } = await platform.admin()
    const signedIn = await medtrackClient(platform.gateway).auth.api.login.post({ email, password })
    expect(signedIn.status).toBe(200)
    const api = medtrackClient(platform.gateway, { token: signedIn.data!.access_token })
    expect(signedIn.data!.user?.email).toBe(email)

    // A write answers with its worker's result, typed by the command it sent, or with its operation while the worker has not answered.
    const hospital = await api.profile.api.establishments.post({ name: 'CHU Ibn Sina', city: 'Rabat' })
    expect(hospital.status).toBe(201)
    const establishment = hospital.data!
    if ('operation_id' in establishment) throw new Error(`the establishment was not made yet: ${establishment.operation_id}`)
    const city: string = establishment.city
    expect(city).toBe('Rabat')
    // @ts-expect-error an establishment's name is a string
    const nameAsNumber: number = establishment.name
    expect(typeof nameAsNumber).toBe('string')
    const establishmentId = establishment.id

    // core has heard of the establishment once an offer for it is taken.
    const period = { start_date: inDays(20), end_date: inDays(80) }
    let posted: Awaited<ReturnType<typeof api.core.api.offers.post>> | undefined
    await waitFor(async () => (posted = await api.core.api.offers.post({ establishment_id: establishmentId, title: 'Cardiologie', ...period, capacity: 2 })).status === 201, 15_000, 'the offer')
    const made = posted!.data!
    if ('operation_id' in made) throw new Error(`the offer was not made yet: ${made.operation_id}`)
    expect(made).toMatchObject({ establishment_id: establishmentId, title: 'Cardiologie', capacity: 2, places_taken: 0, places_left: 2 })
    const offerId = made.id

    const offer = await api.core.api.offers({ id: offerId }).get()
    expect(offer.error).toBeNull()
    const title: string = offer.data!.title
    expect(title).toBe('Cardiologie')
    expect(offer.data!).toMatchObject({ id: offerId, establishment_id: establishmentId, capacity: 2, places_left: 2, start_date: period.start_date })
    // @ts-expect-error an offer's title is a string
    const notANumber: number = offer.data!.title
    expect(typeof notANumber).toBe('string')

    // A page's number may be a number; the URL carries its digits.
    const listed = await api.core.api.offers.get({ query: { establishment_id: establishmentId, page: 1, per_page: 10 } })
    expect(listed.data!.items.map((o) => o.title)).toEqual(['Cardiologie'])
    expect(listed.data!).toMatchObject({ total: 1, page: 1, per_page: 10 })

    // The write's answer and its GET are one type: closing the offer answers the offer, closed.
    const closed = await api.core.api.offers({ id: offerId }).patch({ status: 'closed' })
    expect(closed.status).toBe(200)
    if (!closed.data || 'operation_id' in closed.data) throw new Error('the offer was not closed yet')
    const status: string = closed.data.status
    expect(status).toBe('closed')
    expect(closed.data.places_left).toBe(2)

    const backwards = await api.core.api.offers.post({ establishment_id: establishmentId, title: 'Pédiatrie', start_date: period.end_date, end_date: period.start_date, capacity: 1 })
    expect(backwards.data).toBeNull()
    expect(backwards.error?.status).toBe(422)
    if (backwards.error?.status !== 422) throw new Error('expected a 422')
    expect(backwards.error.value.error).toBe('UNPROCESSABLE')
    expect(backwards.error.value.problems?.map((p) => p.path)).toEqual(['/end_date'])

    const anonymous = await medtrackClient(platform.gateway).core.api.offers.get()
    expect(anonymous.error?.status).toBe(401)
    if (anonymous.error?.status !== 401) throw new Error('expected a 401')
    expect(anonymous.error.value.error).toBe('UNAUTHENTICATED')
  })

  test('what the types refuse, the APIs refuse too: a body field of the wrong type, a route that does not exist, a required query left out', async () => {
    const { token } = await platform.admin()
    const api = medtrackClient(platform.gateway, { token })

    // @ts-expect-error an offer's capacity is a number
    const wrongType = await api.core.api.offers.post({ establishment_id: crypto.randomUUID(), title: 'Cardiologie', start_date: inDays(20), end_date: inDays(80), capacity: 'two' })
    expect(wrongType.error?.status).toBe(422)
    expect((wrongType.error?.value as { problems?: { path: string }[] }).problems?.map((p) => p.path)).toContain('/capacity')

    // @ts-expect-error core has no /internships
    const unknownRoute = await api.core.api.internships.get()
    expect(unknownRoute.error?.status).toBe(404)

    // @ts-expect-error the dead letters are a service's: `service` is required
    const noService = await api.ops.api['dead-letters'].get({ query: {} })
    expect(noService.error?.status).toBe(422)
    expect((noService.error?.value as { problems?: { path: string }[] }).problems?.map((p) => p.path)).toContain('/query/service')
  })
})
