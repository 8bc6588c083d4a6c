/** Commands the profile worker applies. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, Text, Uuid } from '../events/fields.ts'

export const CreateStudent = Type.Object(
  {
    email: Email,
    user_id: Type.Optional(Uuid),
    cin: Type.Optional(Text),
    phone: Type.Optional(Text),
    first_name: Type.Optional(Text),
    last_name: Type.Optional(Text),
  },
  { description: 'Create a student profile; idempotent on email and user_id.' },
)
export type CreateStudent = Static<typeof CreateStudent>
