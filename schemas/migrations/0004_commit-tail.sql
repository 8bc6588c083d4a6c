-- The statements of a unit of work that are sent with their values written in
-- (so that they need no prepared statement, which the server could lose, and
-- no round trip of their own), as calls of PL/pgSQL functions, whose plans the
-- server keeps: nothing is parsed and planned again per transaction.
--   record_inbox: the message ids, each unless there already; the new ones come
--   back. In one order whatever the batch's, so two batches sharing messages
--   wait for each other instead of deadlocking.
--   commit_tail (sent with the COMMIT): the command results, and the outbox
--   rows, whose ids come back; a null argument writes nothing of its kind.
-- One of each per service schema, over that schema's own tables.
DO $migration$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['auth', 'profile', 'core', 'comm', 'eval', 'gateway'] LOOP
    EXECUTE format($function$
      CREATE FUNCTION %1$I.record_inbox(arriving json)
      RETURNS TABLE (consumer text, message_id text)
      LANGUAGE plpgsql AS $body$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY INSERT INTO %1$I.inbox AS i (consumer, message_id)
          SELECT m.consumer, m.message_id FROM json_to_recordset(arriving) AS m(consumer text, message_id text)
          ORDER BY m.consumer, m.message_id
          ON CONFLICT DO NOTHING
          RETURNING i.consumer, i.message_id;
      END
      $body$
    $function$, s);
    EXECUTE format($function$
      CREATE FUNCTION %1$I.commit_tail(emitted jsonb, results json)
      RETURNS TABLE (id bigint, event_id text)
      LANGUAGE plpgsql AS $body$
      #variable_conflict use_column
      BEGIN
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
