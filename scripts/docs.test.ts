import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { eventsPage } from './docs.ts'

test('docs/events.md is what `bun run docs:events` prints from the code: a new event, binding or command fails here until the page is printed again', () => {
  const committed = readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8')
  expect(committed).toBe(eventsPage())
})

test('the page names every event type and every queue', () => {
  const page = eventsPage()
  for (const type of ['user.created', 'stage.accepted', 'grade.assigned', 'email.failed']) expect(page).toContain(`| \`${type}\` |`)
  for (const queue of ['auth.events', 'comm.commands', 'ops.events']) expect(page).toContain(`\`${queue}\``)
})
