/**
 * Who may write to whom, as one table: the comm API authorises each message
 * by it, its docs and the tests read it. A student writes to their
 * encadrants (of a stage that was accepted) and to admins; an encadrant to
 * the students they supervise and to admins; an admin to anyone with an account.
 */
export type Role = 'student' | 'encadrant' | 'admin'

/** What the receiver is to the sender, as comm's read models tell. */
export type Correspondent = 'admin' | 'supervisor' | 'supervisee' | 'anyone'

export const WRITES_TO: Readonly<Record<Role, readonly Correspondent[]>> = {
  student: ['supervisor', 'admin'],
  encadrant: ['supervisee', 'admin'],
  admin: ['anyone'],
}

/** What each refusal says, for the 403's body. */
export const WHOM_EACH_WRITES_TO: Readonly<Record<Role, string>> = {
  student: 'a student writes to the encadrants of their accepted stages and to admins',
  encadrant: 'an encadrant writes to the students they supervise and to admins',
  admin: 'an admin writes to anyone who has an account',
}

/** The stage statuses that make its encadrant the student's supervisor: accepted, and every one after but cancelled. */
export const SUPERVISED_STATUSES = ['accepted', 'started', 'completed'] as const

/** A subject is one line of at most this many characters. */
export const SUBJECT_MAX_LENGTH = 200
/** A body holds at most this many characters. */
export const BODY_MAX_LENGTH = 10_000

/** Whether a sender of `role` may write to a receiver who is each of `receiverIs` to them. */
export function mayWrite(role: Role, receiverIs: ReadonlySet<Correspondent>): boolean {
  return WRITES_TO[role].some((c) => c === 'anyone' || receiverIs.has(c))
}
