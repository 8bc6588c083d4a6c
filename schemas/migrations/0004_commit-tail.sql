-- What a unit of work writes with its COMMIT, in one statement whose plans the
-- server keeps (a PL/pgSQL function's own), so that nothing has to be parsed and
-- planned per transaction and no prepared statement can be lost on the way:
-- the inbox rows (when the messages were taken for new: a message seen before
-- fails here, and the COMMIT with it), the command results, the outbox rows,
-- whose ids come back. A null argument writes nothing of its kind. One function
-- per service schema, over that schema's own tables.
DO $migration$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['auth', 'profile', 'core', 'comm', 'eval', 'gateway'] LOOP
    EXECUTE format($function$
      CREATE FUNCTION %1$I.commit_tail(arriving json, emitted jsonb, results json)
      RETURNS TABLE (id bigint, event_id text)
      LANGUAGE plpgsql AS $body$
      #variable_conflict use_column
      BEGIN
        IF arriving IS NOT NULL THEN
          INSERT INTO %1$I.inbox (consumer, message_id)
            SELECT m.consumer, m.message_id FROM json_to_recordset(arriving) AS m(consumer text, message_id text);
        END IF;
        IF results IS NOT NULL THEN
          INSERT INTO %1$I.command_results (command_id, command_type, actor_id, outcome, http_status, body)
            SELECT r.command_id, r.command_type, r.actor_id, r.outcome, r.http_status, r.body::json
            FROM json_to_recordset(results) AS r(command_id text, command_type text, actor_id text, outcome text, http_status integer, body text)
            ON CONFLICT DO NOTHING;
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
