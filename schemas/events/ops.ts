/** Events produced by the ops service: what an operator did to a service's dead letters. */
import { Type, type Static } from '@sinclair/typebox'
import { Text } from './fields.ts'

const DeadLetterAction = {
  service: { ...Text, description: 'the service whose dead letters they were' },
  ids: Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Null()], { description: 'the message ids the operator named, or null for all of them' }),
  count: Type.Integer({ minimum: 0, description: 'how many dead letters it concerned: an id named that was not there counts for none' }),
  actor_id: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: 'the operator (an admin) who asked' }),
}

export const DeadLettersReplayed = Type.Object(DeadLetterAction, { description: 'Dead letters of a service were sent back to the queue each had failed on.' })
export type DeadLettersReplayed = Static<typeof DeadLettersReplayed>

export const DeadLettersPurged = Type.Object(DeadLetterAction, { description: 'Dead letters of a service were deleted for good.' })
export type DeadLettersPurged = Static<typeof DeadLettersPurged>
