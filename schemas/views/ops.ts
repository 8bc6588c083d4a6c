/** What the ops worker answers an operator's commands on dead letters with. */
import { Type } from '@sinclair/typebox'

const Missing = Type.Optional(Type.Array(Type.String(), { description: 'the ids named that no letter had' }))

export const Replayed = Type.Object({ service: Type.String(), replayed: Type.Integer({ minimum: 0 }), missing: Missing })
export const Purged = Type.Object({ service: Type.String(), purged: Type.Integer({ minimum: 0 }), missing: Missing })
