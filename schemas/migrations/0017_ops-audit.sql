CREATE SCHEMA "ops";
--> statement-breakpoint
CREATE TABLE "ops"."audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ops"."audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"producer" text NOT NULL,
	"correlation_id" text,
	"causation_id" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"routing_key" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"headers" jsonb NOT NULL,
	"entity_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	CONSTRAINT "audit_events_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "ops"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"actor_id" text,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ops"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "ops"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ops"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "ops"."token_versions" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"role" text,
	"token_version" integer DEFAULT 0 NOT NULL,
	"deleted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_type_idx" ON "ops"."audit_events" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "audit_events_producer_idx" ON "ops"."audit_events" USING btree ("producer","id");--> statement-breakpoint
CREATE INDEX "audit_events_correlation_idx" ON "ops"."audit_events" USING btree ("correlation_id");--> statement-breakpoint
CREATE INDEX "audit_events_causation_idx" ON "ops"."audit_events" USING btree ("causation_id");--> statement-breakpoint
CREATE INDEX "audit_events_received_idx" ON "ops"."audit_events" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "ops"."audit_events" USING gin ("entity_ids");--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "ops"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "ops"."outbox" USING btree ("id") WHERE "ops"."outbox"."sent_at" is null;--> statement-breakpoint
-- ops's record_inbox and commit_tail, as every service schema has them (0004,
-- 0005, 0010): the inbox ids of a unit of work, new ones coming back, a stored
-- command result counting as seen (a set-aside failure, 500, not); the command
-- results (a set-aside failure replaced by the real result of its replay) and
-- the outbox rows sent with the COMMIT.
DO $migration$
BEGIN
  EXECUTE format($function$
    CREATE OR REPLACE FUNCTION %1$I.record_inbox(arriving json)
    RETURNS TABLE (consumer text, message_id text)
    LANGUAGE plpgsql AS $body$
    #variable_conflict use_column
    BEGIN
      RETURN QUERY INSERT INTO %1$I.inbox AS i (consumer, message_id)
        SELECT m.consumer, m.message_id FROM json_to_recordset(arriving) AS m(consumer text, message_id text)
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
  $function$, 'ops');
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
  $function$, 'ops');
END
$migration$;
