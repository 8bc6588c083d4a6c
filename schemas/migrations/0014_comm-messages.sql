-- comm keeps the messages between users: each reply names the message it
-- answers and the thread it belongs to (the id of the thread's first message).
-- Indexes: each inbox, sent box and thread newest first, each inbox's unread
-- count, and who supervises whom (asked of each message), found by account.
CREATE TABLE "comm"."messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sender_id" uuid NOT NULL,
	"receiver_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"reply_to" uuid,
	"thread_id" uuid NOT NULL,
	"read_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "messages_receiver_idx" ON "comm"."messages" USING btree ("receiver_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_sender_idx" ON "comm"."messages" USING btree ("sender_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_thread_idx" ON "comm"."messages" USING btree ("thread_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_unread_idx" ON "comm"."messages" USING btree ("receiver_id") WHERE "comm"."messages"."read_at" is null;--> statement-breakpoint
CREATE INDEX "encadrants_user_idx" ON "comm"."encadrants" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "stages_encadrant_student_idx" ON "comm"."stages" USING btree ("encadrant_id","student_id");--> statement-breakpoint
CREATE INDEX "students_user_idx" ON "comm"."students" USING btree ("user_id");
