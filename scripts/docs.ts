/**
 * Prints docs/events.md from the code it describes: the wire format, the
 * queue and binding table of `topology()`, and the event catalogue of
 * schemas/events. `scripts/docs.test.ts` fails when the committed file is not
 * what this prints, so the page cannot drift from the code.
 *
 *   bun run docs:events > docs/events.md
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { EVENT_BINDINGS, SERVICES, tierName, DEFAULT_RETRY_TIERS } from '../core/index.ts'
import { commandBindings, commands } from '../schemas/commands/index.ts'
import { catalogue } from '../schemas/events/index.ts'
import { noArgumentsOrExit } from './cli.ts'

const WIRE_FORMAT = `## Wire format

**Events** are published to the durable topic exchange \`medtrack.events\`; the
routing key is the event type. The body is JSON:

\`\`\`json
{
  "event_id": "0b8e7c5e-…",          // UUID; the AMQP messageId carries the same value
  "event_type": "student.created",
  "version": "1.0",                  // the payload schema's version
  "service": "profile",              // the producer; external:<key name> for POST /events/publish
  "timestamp": "2026-11-26T10:00:00.000Z",
  "correlation_id": "…",             // the X-Request-Id of the HTTP request that began the cascade
  "causation_id": "…",               // the event or command that caused this one, or null
  "causation_type": "profile.create_student", // when a command caused it: the command's type
  "payload": { … }
}
\`\`\`

AMQP properties: \`messageId\` (the event id), \`type\` (the event type),
\`contentType\` \`application/json\`, \`deliveryMode\` 2 (persistent),
\`timestamp\`, \`correlationId\`.

A message without \`event_id\` (as older publishers send) is accepted: its id is
the AMQP \`messageId\` when there is one, else a UUIDv5 of the body's bytes, so a
redelivery of the same bytes is still recognised.

**Commands** go from a service's API to its worker through the direct exchange
\`medtrack.commands\`, routing key \`S.verb_noun\`, queue \`S.commands\`. Body:
\`{command_id, command_type, correlation_id, actor: {user_id, role}, payload}\`;
\`replyTo\` is set when the API waits for the answer.

Every broker name takes one prefix, \`MEDTRACK_NAMESPACE\` (empty by default, so
the names here are exact); the tests run each in a namespace of their own.`

const QUEUES_INTRO = `## Queues and bindings

Every queue is a durable quorum queue. Each worker declares its own at start
(idempotently); this table is printed from that same code (\`bun run topology\`
prints the full declaration). A failed message is retried through
\`S.retry.<tier>\` (${DEFAULT_RETRY_TIERS.map(tierName).join(', ')}), which return it to the queue it
failed on; a message that cannot be processed, or failed every tier, is kept in
\`S.dead\` with its reason (\`bun run dlq\`, or the ops API).`

/** `a, b, c` as code. */
const codes = (xs: readonly string[]) => xs.map((x) => `\`${x}\``).join(', ')

/** The payload's fields, required ones first, optional ones in italics. */
function fields(schema: TSchema): string {
  const object = schema as TObject
  const required = new Set(object.required ?? [])
  const names = Object.keys(object.properties ?? {})
  const optional = names.filter((n) => !required.has(n))
  return [...names.filter((n) => required.has(n)), ...optional.map((n) => `*${n}*`)].join(', ')
}

/** What a command's worker answers when it applied it: the status, and its body's fields (of each shape it may have). */
function answer({ status, body }: { status: number; body: TSchema }): string {
  const shapes = (body.anyOf as TSchema[] | undefined) ?? [body]
  return `${status} ${shapes.map((shape) => `{${fields(shape)}}`).join(' or ')}`
}

export function eventsPage(): string {
  const queueRows = SERVICES.map((s) => `| \`${s}.events\` | ${codes(EVENT_BINDINGS[s])} | \`${s}.commands\` | ${codes(commandBindings()[s] ?? []) || '-'} |`)
  const eventRows = Object.entries(catalogue).map(([type, d]) => `| \`${type}\` | ${d.producer.join(', ')} | ${d.version} | ${fields(d.payload)} | ${d.description} |`)
  const commandRows = Object.entries(commands).map(([type, d]) => `| \`${type}\` | ${d.service} | ${fields(d.payload)} | ${answer(d.result)} |`)
  return `<!-- Printed by \`bun run docs:events\` from the code; edit the code, not this file. -->
# Events, queues and commands

${WIRE_FORMAT}

${QUEUES_INTRO}

| events queue | bound to \`medtrack.events\` with | commands queue | command types |
| --- | --- | --- | --- |
${queueRows.join('\n')}

## Event catalogue

Payloads may carry more fields than listed (producers may add, consumers
ignore what they do not know). Ids are UUIDs, dates ISO 8601, scores and grades
0–20. Optional fields are in italics. The gateway serves the same catalogue as
an AsyncAPI document at \`GET /events/catalogue\` (\`bun run catalogue\`).

| event | producer | version | payload | what it means |
| --- | --- | --- | --- | --- |
${eventRows.join('\n')}

## Commands

An API sends a command to its worker, which answers with the status and body
below when it applied the command, or with the error body and a 4xx status when
it refused it (500 \`COMMAND_FAILED\` when it could not apply it and set it
aside). A write route answers its caller with that answer, or 202 with the
operation while the worker has not answered; its OpenAPI document and the typed
client take the answer's type from this catalogue (\`schemas/commands/index.ts\`).
The session routes (login, refresh, logout) and \`/password/forgot\` read their
command's answer and give answers of their own ([sessions.md](sessions.md), [api.md](api.md)).

| command | applied by | payload | answer when applied |
| --- | --- | --- | --- |
${commandRows.join('\n')}
`
}

if (import.meta.main) {
  noArgumentsOrExit(process.argv.slice(2), 'usage: bun run docs:events > docs/events.md   (the events page, printed from the code)')
  process.stdout.write(eventsPage())
}
