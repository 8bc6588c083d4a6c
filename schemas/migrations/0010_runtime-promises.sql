CREATE TABLE "gateway"."published_events" (
	"key_id" uuid NOT NULL,
	"request_hash" text NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "published_events_key_id_request_hash_pk" PRIMARY KEY("key_id","request_hash")
);
--> statement-breakpoint
ALTER TABLE "comm"."students" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "core"."student_directory" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
-- A command whose result is stored is not new, whatever the inbox still holds
-- (its rows are pruned after INBOX_RETENTION_MS; results are kept): it is
-- answered with that result and applied no second time. A failure stored when
-- the command was set aside (500, see 0005) does not count: its replay is applied.
DO $migration$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['auth', 'profile', 'core', 'comm', 'eval', 'gateway'] LOOP
    EXECUTE format($function$
      CREATE OR REPLACE FUNCTION %1$I.record_inbox(arriving json)
      RETURNS TABLE (consumer text, message_id text)
      LANGUAGE plpgsql AS $body$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY INSERT INTO %1$I.inbox AS i (consumer, message_id)
          SELECT m.consumer, m.message_id FROM json_to_recordset(arriving) AS m(consumer text, message_id text)
          -- One index lookup per command (a NOT EXISTS here is planned as a scan of every stored result).
          LEFT JOIN LATERAL (
            SELECT true AS stored FROM %1$I.command_results c
            WHERE m.consumer = 'commands' AND c.command_id = m.message_id AND NOT (c.outcome = 'failed' AND c.http_status = 500)
            LIMIT 1) r ON true
          WHERE r.stored IS NULL
          ORDER BY m.consumer, m.message_id
          ON CONFLICT DO NOTHING
          RETURNING i.consumer, i.message_id;
      END
      $body$
    $function$, s);
  END LOOP;
END
$migration$;
