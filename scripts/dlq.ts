/**
 * Dead letters of a service, from a terminal.
 *
 *   bun run dlq list <service> [--json]
 *   bun run dlq show <service> [<message-id> ...]
 *   bun run dlq replay <service> [<message-id> ...]   (all when no id is given)
 *   bun run dlq purge <service> <message-id> ... | --all
 */
import { parseArgs } from 'node:util'
import { Connection } from 'rabbitmq-client'
import { describe, listDeadLetters, purgeDeadLetters, replayDeadLetters, SERVICES, type DeadLetter } from '../core/index.ts'
import { brokerConfig } from './broker-config.ts'
import { askedForHelp } from './cli.ts'

const USAGE = 'usage: bun run dlq list|show|replay <service> [<message-id> ...] [--json] | purge <service> <message-id> ... | purge <service> --all'

/** One terminal line per dead letter. */
export function formatDeadLetter(d: DeadLetter): string {
  return [d.failedAt, d.messageId, d.type ?? '-', `${d.errorClass}×${d.attempts}`, d.originalQueue, d.error].join('  ')
}

async function main(argv: string[]): Promise<number> {
  if (askedForHelp(argv, USAGE)) return 0
  let args
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } } })
  } catch (err) {
    console.error(`${describe(err)}\n${USAGE}`)
    return 2
  }
  const { positionals, values } = args
  const [command, service, ...ids] = positionals
  if (!command || !['list', 'show', 'replay', 'purge'].includes(command) || !service) {
    console.error(USAGE)
    return 2
  }
  // Deleting every letter is said in so many words, never what a forgotten id does.
  if (command === 'purge' && ids.length === 0 && !values.all) {
    console.error(`purge deletes letters for good: name their ids, or say --all for every one of ${service}\n${USAGE}`)
    return 2
  }
  if (command === 'purge' && ids.length > 0 && values.all) {
    console.error(`purge takes ids or --all, not both\n${USAGE}`)
    return 2
  }
  if (!(SERVICES as readonly string[]).includes(service)) {
    console.error(`unknown service '${service}': one of ${SERVICES.join(', ')}`)
    return 2
  }
  const config = brokerConfig()
  // A broker that cannot be reached is said within seconds, not waited for.
  const connection = new Connection({ url: config.RABBITMQ_URL, connectionName: 'medtrack-dlq', retryLow: 200, retryHigh: 2_000, acquireTimeout: 5_000 })
  // Why the broker could not be reached (a refused login, say), for the one sentence said when the operation times out.
  let brokerError: unknown
  connection.on('error', (err) => (brokerError = err))
  const options = { connection, service, namespace: config.MEDTRACK_NAMESPACE, ...(ids.length ? { ids } : {}) }
  try {
    if (command === 'list' || command === 'show') {
      const letters = (await listDeadLetters(options)).filter((d) => ids.length === 0 || ids.includes(d.messageId))
      if (command === 'show' || values.json) for (const d of letters) console.log(JSON.stringify(d, null, command === 'show' ? 2 : 0))
      else {
        for (const d of letters) console.log(formatDeadLetter(d))
        console.log(`${letters.length} dead letter(s) in ${service}`)
      }
      if (command === 'show' && ids.length > 0 && letters.length === 0) {
        console.error(`no dead letter with id ${ids.join(', ')} in ${service}`)
        return 1
      }
    } else {
      const done = command === 'replay' ? await replayDeadLetters(options) : await purgeDeadLetters(options)
      console.log(`${command === 'replay' ? 'replayed' : 'purged'} ${done.count} dead letter(s) of ${service}`)
      if (done.missing.length > 0) console.error(`no dead letter with id ${done.missing.join(', ')} in ${service}`)
      if (ids.length > 0 && done.missing.length === ids.length) return 1
    }
    return 0
  } catch (err) {
    // rabbitmq-client writes a refused login as 'undefined: ACCESS_REFUSED - …'.
    const why = (err as { code?: unknown }).code === 'TIMEOUT' && brokerError ? `${describe(brokerError).replace(/^undefined: /, '')} (${describe(err)})` : describe(err)
    console.error(`dlq ${command}: ${why}`)
    return 1
  } finally {
    await connection.close()
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)))
