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
CREATE INDEX "outbox_unsent_idx" ON "ops"."outbox" USING btree ("id") WHERE "ops"."outbox"."sent_at" is null;