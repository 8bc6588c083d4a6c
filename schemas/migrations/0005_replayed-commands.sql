-- A command set aside in the dead-letter queue has a failed result (500,
-- COMMAND_FAILED) so that its operation does not stay pending. When an
-- operator replays it and it is applied, its real result takes that one's
-- place; any other stored result stays as it is. commit_tail is otherwise as
-- 0004 made it.
DO $migration$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['auth', 'profile', 'core', 'comm', 'eval', 'gateway'] LOOP
    EXECUTE format($function$
      CREATE OR REPLACE FUNCTION %1$I.commit_tail(emitted jsonb, results json)
      RETURNS TABLE (id bigint, event_id text)
      LANGUAGE plpgsql AS $body$
      #variable_conflict use_column
      BEGIN
        IF results IS NOT NULL THEN
          INSERT INTO %1$I.command_results AS c (command_id, command_type, actor_id, outcome, http_status, body)
            SELECT r.command_id, r.command_type, r.actor_id, r.outcome, r.http_status, r.body::json
            FROM json_to_recordset(results) AS r(command_id text, command_type text, actor_id text, outcome text, http_status integer, body text)
            ON CONFLICT (command_id) DO UPDATE
              SET command_type = excluded.command_type, actor_id = excluded.actor_id, outcome = excluded.outcome,
                  http_status = excluded.http_status, body = excluded.body, created_at = now()
              WHERE c.outcome = 'failed' AND c.http_status = 500;
        END IF;
        IF emitted IS NOT NULL THEN
          RETURN QUERY INSERT INTO %1$I.outbox AS o (event_id, event_type, envelope)
            SELECT e->>'event_id', e->>'event_type', e FROM jsonb_array_elements(emitted) WITH ORDINALITY AS t(e, n) ORDER BY n
            RETURNING o.id, o.event_id;
        END IF;
      END
      $body$
    $function$, s);
  END LOOP;
END
$migration$;
