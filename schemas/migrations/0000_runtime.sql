CREATE SCHEMA "auth";
--> statement-breakpoint
CREATE SCHEMA "comm";
--> statement-breakpoint
CREATE SCHEMA "core";
--> statement-breakpoint
CREATE SCHEMA "eval";
--> statement-breakpoint
CREATE SCHEMA "gateway";
--> statement-breakpoint
CREATE SCHEMA "profile";
--> statement-breakpoint
CREATE TABLE "auth"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "auth"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "auth"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "auth"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "comm"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "comm"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "comm"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "comm"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "core"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "core"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "core"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "core"."student_directory" (
	"student_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"email" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "eval"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "eval"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "gateway"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "gateway"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "gateway"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "profile"."command_results" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer NOT NULL,
	"body" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profile"."inbox" (
	"consumer" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_consumer_message_id_pk" PRIMARY KEY("consumer","message_id")
);
--> statement-breakpoint
CREATE TABLE "profile"."outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "profile"."outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "profile"."students" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"email" text NOT NULL,
	"cin" text,
	"phone" text,
	"first_name" text,
	"last_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "students_user_id_unique" UNIQUE("user_id")
);
--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "auth"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "auth"."outbox" USING btree ("id") WHERE "auth"."outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "comm"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "comm"."outbox" USING btree ("id") WHERE "comm"."outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "core"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "core"."outbox" USING btree ("id") WHERE "core"."outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "eval"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "eval"."outbox" USING btree ("id") WHERE "eval"."outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "gateway"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "gateway"."outbox" USING btree ("id") WHERE "gateway"."outbox"."sent_at" is null;--> statement-breakpoint
CREATE INDEX "inbox_received_at_index" ON "profile"."inbox" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "profile"."outbox" USING btree ("id") WHERE "profile"."outbox"."sent_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "students_email_lower_idx" ON "profile"."students" USING btree (lower("email"));