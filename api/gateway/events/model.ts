import { Type, type Static } from '@sinclair/typebox'

/** The body external systems post to `/events/publish`: the event and who sends it. */
export const PublishRequest = Type.Object({
  event_type: Type.String({ minLength: 1, description: 'a type of the catalogue, e.g. student.created' }),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'checked against the catalogue schema of event_type' }),
  service_name: Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
    description: "the sending system, e.g. hospital-sync; logged with the event, whose envelope names the API key as its producer (external:<key name>)",
  }),
})
export type PublishRequest = Static<typeof PublishRequest>
