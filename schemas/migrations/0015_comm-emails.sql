-- comm mails the important notifications through an email outbox of the same
-- shape as auth's, keeps where each encadrant's emails go (unknown for those
-- heard of before), finds a user's address by their account, and logs every
-- email any service sent or gave up.
CREATE TABLE "comm"."emails" (
	"id" uuid PRIMARY KEY NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"html" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "comm"."email_log" (
	"email_id" uuid PRIMARY KEY NOT NULL,
	"producer" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text,
	"status" text NOT NULL,
	"error" text,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "comm"."encadrants" ADD COLUMN "email" text;--> statement-breakpoint
CREATE INDEX "emails_due_idx" ON "comm"."emails" USING btree ("next_attempt_at") WHERE "comm"."emails"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "email_log_occurred_idx" ON "comm"."email_log" USING btree ("occurred_at","email_id");--> statement-breakpoint
CREATE INDEX "email_log_recipient_idx" ON "comm"."email_log" USING btree (lower("recipient"),"occurred_at");--> statement-breakpoint
CREATE INDEX "email_log_status_idx" ON "comm"."email_log" USING btree ("status","occurred_at");--> statement-breakpoint
-- The encadrants comm heard of before it kept their addresses: profile, in the same database, has them.
UPDATE "comm"."encadrants" AS c SET "email" = p."email" FROM "profile"."encadrants" AS p WHERE p."id" = c."encadrant_id" AND c."email" IS NULL;
