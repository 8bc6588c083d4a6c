import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { mkdirSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { Connection } from 'rabbitmq-client'
import { buildEnvelope, Names } from '../../core/index.ts'
import { RABBITMQ_URL, messageCount, waitFor } from '../broker.ts'
import { client, registerPerson, startPlatform, type Platform } from './platform.ts'

/**
 * The operators' console in a real browser (Debian's chromium, driven by
 * playwright-core), against every process of the platform, through the
 * gateway: what an operator sees and does. Each step saves a screenshot.
 */

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname
const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
const ACCESS_TTL_SECONDS = 15

let platform: Platform
let browser: Browser
let broker: Connection
let names: Names
let admin: { email: string; password: string }
const saved: string[] = []

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true })
  // No browser is no pass: this fails when /usr/bin/chromium is missing (.ci/run installs it).
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: BROWSER_ARGS })
  // Access tokens short-lived, so that the console's session outlives several of them (renewed with its refresh token).
  platform = await startPlatform('console', { env: { ACCESS_TTL: String(ACCESS_TTL_SECONDS) } })
  names = new Names(platform.namespace)
  broker = new Connection(RABBITMQ_URL)
  admin = await platform.admin()
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await broker?.close()
  await platform?.close()
  if (saved.length > 0) console.log(`console screenshots:\n${saved.map((p) => `  ${p}`).join('\n')}`)
})

/** Saves what the page shows now as `<name>.png` in test/e2e/screenshots/. */
async function screenshot(page: Page, name: string): Promise<void> {
  const path = `${SCREENSHOTS}${name}.png`
  await page.screenshot({ path, fullPage: true })
  saved.push(path)
}

/** A new tab of its own (its own sessionStorage) at the console, `width` px wide. */
async function openConsole(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } })
  const page = await context.newPage()
  await page.goto(`${platform.gateway}/ops/`)
  return { context, page }
}

/** Signs in with the form, as a person would: typing, then Enter in the password field. */
async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByLabel('Password').press('Enter')
}

/** The text of the depth cell of `queue`'s row in the queues view. */
const depthOf = (page: Page, queue: string) => page.locator(`tr[data-queue="${queue}"] td[data-field="depth"]`).textContent()

/** Sends `envelope` straight to one service's event queue, as the exchange would route it there. */
async function deliverTo(service: string, envelope: ReturnType<typeof buildEnvelope>): Promise<void> {
  const publisher = broker.createPublisher({ confirm: true })
  await publisher.send({ exchange: '', routingKey: names.eventQueue(service), messageId: envelope.event_id, type: envelope.event_type, durable: true, contentType: 'application/json' }, envelope)
  await publisher.close()
}

describe("the operators' console", () => {
  let context: BrowserContext
  let page: Page

  test('the page loads for anyone and asks for a sign-in; an admin signs in and sees every service\'s queues, refreshed without a reload', async () => {
    ;({ context, page } = await openConsole())
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await page.getByRole('navigation', { name: 'Views' }).isVisible()).toBe(false)
    await screenshot(page, '01-sign-in')

    await signIn(page, admin.email, admin.password)
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor()
    for (const service of ['auth', 'profile', 'core', 'comm', 'eval']) {
      await page.getByRole('heading', { name: service, level: 2 }).waitFor()
      await page.locator(`tr[data-queue="${names.eventQueue(service)}"]`).waitFor()
      await page.locator(`tr[data-queue="${names.deadQueue(service)}"]`).waitFor()
    }
    // Each service says how many of its worker's replicas its rates come from: here one, at one address.
    const commWorkers = page.locator('section[aria-labelledby="queues-comm"] [data-field="workers"]')
    await waitFor(async () => (await commWorkers.textContent()) === 'Rates from 1 worker replica, of 1 address.', 15_000, "comm's worker replicas told")
    const commEvents = page.locator(`tr[data-queue="${names.eventQueue('comm')}"]`)
    expect(await commEvents.getByRole('img', { name: /^depth of / }).count()).toBe(1)
    expect(await commEvents.getByRole('img', { name: /^rates of / }).count()).toBe(1)
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1)

    // Live: the figures are read again while the page stays the same page (no reload).
    await page.evaluate(() => Object.assign(window, { sameDocument: true }))
    const updated = await page.locator('#queues-updated').textContent()
    await page.waitForFunction((before) => document.querySelector('#queues-updated')?.textContent !== before, updated, { timeout: 15_000 })
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true)
    await screenshot(page, '02-queues')

    // Past its access token's life, the page renews it and keeps refreshing: no sign-in asked.
    const tokenAtStart = await page.evaluate(() => Object.values(sessionStorage)[0])
    await page.waitForFunction((before) => Object.values(sessionStorage)[0] !== before, tokenAtStart, { timeout: (ACCESS_TTL_SECONDS + 15) * 1000 })
    const later = await page.locator('#queues-updated').textContent()
    await page.waitForFunction((before) => document.querySelector('#queues-updated')?.textContent !== before, later, { timeout: 15_000 })
    expect(await page.getByRole('heading', { name: 'Queues', level: 1 }).isVisible()).toBe(true)
  }, 90_000)

  test('a dead letter of comm is found with its reason and body, replayed after a confirmation, and its depth falls to 0', async () => {
    const studentId = crypto.randomUUID()
    const email = `late-${studentId.slice(0, 8)}@example.org`
    // An update for a student comm has not heard of: retried through every tier, then dead.
    const update = buildEnvelope({ type: 'student.updated', version: '1.0', service: 'profile', payload: { student_id: studentId, updated_fields: ['email'], email } })
    await deliverTo('comm', update)
    await waitFor(async () => (await messageCount(broker, names.deadQueue('comm'))) === 1, 30_000, 'the update in comm.dead')

    // The queues view shows it on its own, without a reload.
    await waitFor(async () => (await depthOf(page, names.deadQueue('comm'))) === '1', 15_000, 'comm.dead at 1 in the console')
    await screenshot(page, '03-queues-dead-letter')

    // The student comm did not know arrives: the letter can now be applied.
    await deliverTo('comm', buildEnvelope({ type: 'student.created', version: '1.0', service: 'profile', payload: { student_id: studentId, user_id: crypto.randomUUID(), email: `first-${email}` } }))
    const stored = async () => ((await platform.database.db.execute(sql`select email from comm.students where student_id = ${studentId}`)) as unknown as { email: string }[])[0]?.email
    await waitFor(async () => (await stored()) !== undefined, 15_000, 'comm to know the student')

    await page.getByRole('link', { name: 'Dead letters' }).click()
    await page.getByLabel('Service').selectOption('comm')
    await page.getByRole('button', { name: 'Show' }).click()
    const letter = page.locator(`tr[data-message-id="${update.event_id}"]`)
    await letter.waitFor()
    expect(await letter.textContent()).toContain(`student ${studentId} is not known yet`)
    expect(await letter.textContent()).toContain('student.updated')
    expect(await letter.textContent()).toContain(names.eventQueue('comm'))
    await letter.getByText('Body').click()
    expect(await letter.locator('pre').textContent()).toContain(email)
    await screenshot(page, '04-dead-letters')

    // The confirmation: Escape cancels, nothing is replayed, focus is back on the button.
    const replay = letter.getByRole('button', { name: /^Replay / })
    await replay.click()
    const dialog = page.getByRole('dialog', { name: 'Replay this dead letter?' })
    await dialog.waitFor()
    await screenshot(page, '05-replay-confirmation')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    expect(await replay.evaluate((button) => button === document.activeElement)).toBe(true)
    expect(await messageCount(broker, names.deadQueue('comm'))).toBe(1)

    // Confirmed with the keyboard: Tab from Cancel to Replay, Enter.
    await replay.press('Enter')
    await dialog.waitFor()
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Replay')
    await page.keyboard.press('Enter')
    await page.getByText('Replayed 1 dead letter.').waitFor({ timeout: 15_000 })
    await page.getByText('0 dead letters in comm.').waitFor()
    await waitFor(async () => (await stored()) === email, 15_000, 'the replayed update applied')

    await page.getByRole('link', { name: 'Queues' }).click()
    await waitFor(async () => (await depthOf(page, names.deadQueue('comm'))) === '0', 15_000, 'comm.dead at 0 in the console')
    await screenshot(page, '06-queues-after-replay')
  }, 90_000)

  test("a registration's cascade is found in the event search and drawn as a tree: user.created → student.created → notification.created", async () => {
    const correlationId = crypto.randomUUID()
    const api = client(platform.gateway)
    const address = `cascade-${correlationId.slice(0, 8)}@example.org`
    const registered = await api.post('/auth/api/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Casc', last_name: 'Ade' }, undefined, { 'x-request-id': correlationId })
    expect(registered.status).toBe(201)

    await page.getByRole('link', { name: 'Events' }).click()
    await page.getByLabel('Correlation id', { exact: true }).fill(correlationId)
    // The audit trail fills as the cascade runs: searched again until its welcome is there.
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Search' }).click()
        await page.locator('#events-summary').filter({ hasNotText: 'Searching' }).waitFor()
        return (await page.locator('#events-results th', { hasText: 'notification.created' }).count()) > 0
      },
      30_000,
      'the cascade in the event search',
    )
    const created = page.locator('#events-results tr', { has: page.locator('th', { hasText: /^student\.created$/ }) })
    await created.getByText('Payload').click()
    expect(await created.locator('pre').textContent()).toContain(address)
    await screenshot(page, '07-event-search')

    await created.getByRole('link', { name: /^Cascade of student\.created / }).click()
    await page.getByRole('heading', { name: 'Cascade', level: 1 }).waitFor()
    const tree = page.getByRole('list', { name: 'causation tree' })
    await tree.waitFor()
    /** The types from a root down to the first node of `type`, as the nesting of the lists draws them. */
    const pathTo = (type: string) =>
      tree.evaluate((root, wanted) => {
        const node = [...root.querySelectorAll('li')].find((li) => li.querySelector(':scope > .node .type')?.textContent === wanted)
        const path: string[] = []
        for (let li = node; li && root.contains(li); li = li.parentElement?.closest('li') ?? undefined) path.unshift(li.querySelector(':scope > .node .type')!.textContent!)
        return path
      }, type)
    const path = await pathTo('notification.created')
    expect(path.slice(-3)).toEqual(['user.created', 'student.created', 'notification.created'])
    const welcome = tree.locator('li', { has: page.locator(':scope > .node .type', { hasText: /^notification\.created$/ }) }).first()
    expect(await welcome.locator(':scope > .node').textContent()).toContain('by comm')
    const studentNode = tree.locator('li', { has: page.locator(':scope > .node .type', { hasText: /^student\.created$/ }) }).first()
    expect(await studentNode.locator(':scope > .node').textContent()).toMatch(/applied by .*comm/)
    await screenshot(page, '08-cascade-tree')

    // Signing out forgets the tokens here and ends the session at auth: its refresh token renews nothing any more.
    const kept = JSON.parse((await page.evaluate(() => Object.values(sessionStorage)[0]))!) as { refresh: string }
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('alert').filter({ hasText: 'You are signed out.' }).waitFor()
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    expect((await client(platform.gateway).post('/auth/api/refresh', { refresh_token: kept.refresh })).status).toBe(401)
    await context.close()
  }, 90_000)

  test("a student's sign-in is refused with the API's 403, and no table is shown", async () => {
    const student = await registerPerson(client(platform.gateway), platform.smtp, 'student', 'Refused')
    const { context: own, page: tab } = await openConsole()
    await signIn(tab, student.address, 'correct horse 42')
    const refusal = tab.getByRole('alert').filter({ hasText: 'not an administrator' })
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain('403')
    expect(await tab.getByRole('navigation', { name: 'Views' }).isVisible()).toBe(false)
    expect(await tab.locator('#queues-view').isVisible()).toBe(false)
    expect(await tab.evaluate(() => sessionStorage.length)).toBe(0)
    await screenshot(tab, '09-student-refused')

    // A wrong password is said as auth says it.
    await signIn(tab, admin.email, 'not the password')
    await tab.getByRole('alert').filter({ hasText: 'wrong email or password' }).waitFor()
    await own.close()
  }, 60_000)

  test('at a phone\'s width (375 px) the page never scrolls sideways: the tables scroll within themselves', async () => {
    const { context: phone, page: tab } = await openConsole(375)
    await signIn(tab, admin.email, admin.password)
    await tab.locator(`tr[data-queue="${names.deadQueue('comm')}"]`).waitFor()
    const widths = () => tab.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }))
    expect(await widths()).toEqual({ page: 375, viewport: 375 })
    const table = tab.getByRole('region', { name: 'queues of comm' })
    expect(await table.evaluate((region) => region.scrollWidth > region.clientWidth)).toBe(true)
    await screenshot(tab, '10-queues-375px')
    await tab.getByRole('link', { name: 'Events' }).click()
    await tab.getByRole('button', { name: 'Search' }).click()
    await tab.locator('#events-results table').waitFor()
    expect(await widths()).toEqual({ page: 375, viewport: 375 })
    await screenshot(tab, '11-events-375px')
    await phone.close()
  }, 60_000)
})
