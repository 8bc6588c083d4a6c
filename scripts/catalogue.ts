/** Prints the event catalogue as an AsyncAPI 3.0.0 document (JSON) on stdout. */
import { asyncApiDocument, catalogue } from '../schemas/events/index.ts'

process.stdout.write(`${JSON.stringify(asyncApiDocument(catalogue), null, 2)}\n`)
