import { sql } from 'drizzle-orm'
import { conflict, type DomainError, type Problem, type Tx } from '../../core/index.ts'
import { accounts, encadrants, students } from '../../schemas/db/profile.ts'

/** What a refused profile was given: the email, and the user id when one was. */
export interface Asked {
  email: string
  userId?: string | undefined
}

type Kind = 'student' | 'encadrant'

const article = (kind: Kind) => (kind === 'encadrant' ? 'an' : 'a')

/**
 * Why profiles of `kind` the insert refused were refused, one 409 each, in
 * order, naming the field at fault: `/user_id` or `/email` already has a
 * profile (of either kind, also one made earlier in the same transaction), or
 * is that of an account of another role; without a user id, the user is the
 * one of the email's account, as the insert takes it, and its profile (under
 * another email) is the email's fault. One statement for all of them, run
 * only when something was refused.
 */
export async function refusals(tx: Tx, kind: Kind, asked: Asked[]): Promise<DomainError[]> {
  const rows = JSON.stringify(asked.map((a, n) => ({ n, email: a.email, user_id: a.userId ?? null })))
  const found = await tx.execute<{ given: boolean; user_taken: boolean; email_taken: boolean; user_role: string | null; email_role: string | null; email_elsewhere: boolean }>(sql`
    select
      v.user_id is not null as given,
      exists (select 1 from ${accounts} as a where lower(a.email) = lower(v.email) and a.user_id <> o.user_id) as email_elsewhere,
      exists (select 1 from ${students} as p where p.user_id = o.user_id) or exists (select 1 from ${encadrants} as p where p.user_id = o.user_id) as user_taken,
      exists (select 1 from ${students} as p where lower(p.email) = lower(v.email)) or exists (select 1 from ${encadrants} as p where lower(p.email) = lower(v.email)) as email_taken,
      (select a.role from ${accounts} as a where a.user_id = o.user_id) as user_role,
      (select a.role from ${accounts} as a where lower(a.email) = lower(v.email)) as email_role
    from json_to_recordset(${rows}::json) as v(n integer, email text, user_id uuid)
    cross join lateral (select coalesce(v.user_id, (select a.user_id from ${accounts} as a where lower(a.email) = lower(v.email))) as user_id) as o
    order by v.n`)
  return found.map((f) => {
    const notOfKind = `the account is not ${article(kind)} ${kind}'s`
    const problems: Problem[] = []
    if (f.email_taken) problems.push({ path: '/email', message: 'already registered' })
    else if (f.email_role && f.email_role !== kind) problems.push({ path: '/email', message: notOfKind })
    else if (f.email_elsewhere) problems.push({ path: '/email', message: 'is the email of another account' })
    else if (!f.given && f.user_taken) problems.push({ path: '/email', message: 'its account already has a profile' })
    if (f.given && f.user_taken) problems.push({ path: '/user_id', message: 'already has a profile' })
    else if (f.given && f.user_role && f.user_role !== kind) problems.push({ path: '/user_id', message: notOfKind })
    const taken = f.email_taken || f.user_taken
    // Nothing found: what refused it was deleted since; the profile existed when it was asked for.
    return conflict(taken || problems.length === 0 ? 'a profile with this email or user already exists' : notOfKind, problems)
  })
}
