import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { GradeAssign, grades, Transcript, TranscriptQuery } from './model.ts'
import { assertStageKnown, getTranscript } from './read.ts'

/** `/grades`: an admin assigns a stage's final grade, once; `GET /grades?student_id=` is the student's transcript. */
export const gradeRoutes = (app: ServiceApi<'eval'>, db: Database) =>
  app
    .post(
      '/grades',
      async ({ body, send }) => {
        await assertStageKnown(db, body.stage_id)
        return send('eval.assign_grade', body)
      },
      {
        auth: ['admin'],
        body: GradeAssign,
        answers: grades.command('eval.assign_grade', { 404: 'no such stage (`/stage_id`)', 409: 'no submitted evaluation yet, or a grade already assigned' }),
        detail: { summary: "Assign a stage's final grade, once: the one given, or the mean of its submitted evaluations rounded to 0.25" } },
    )
    .get('/grades', ({ query, user }) => getTranscript(db, user, query.student_id), {
      auth: true,
      query: TranscriptQuery,
      answers: grades.read(Transcript, { 403: 'a transcript not the caller’s to read', 404: 'a student eval has not heard of' }),
      detail: { summary: "A student's transcript: each graded stage and the mean (the student, their encadrants, admins)" } })
