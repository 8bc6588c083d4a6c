/**
 * Prints the event catalogue as an AsyncAPI 3.0.0 document (JSON) on stdout,
 * naming the exchange and broker of this environment (MEDTRACK_NAMESPACE,
 * RABBITMQ_URL), as the gateway's `GET /events/catalogue` does.
 *
 *   bun run catalogue
 */
import { Names } from '../core/index.ts'
import { asyncApiDocument, catalogue } from '../schemas/events/index.ts'
import { brokerConfig } from './broker-config.ts'
import { noArgumentsOrExit } from './cli.ts'

const USAGE = 'usage: bun run catalogue   (the AsyncAPI document of every event type, on stdout)'

noArgumentsOrExit(process.argv.slice(2), USAGE)
const config = brokerConfig()
const document = asyncApiDocument(catalogue, { exchange: new Names(config.MEDTRACK_NAMESPACE).events, serverUrl: config.RABBITMQ_URL })
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
