-- comm keeps each student's documents: their metadata here, their bytes in the
-- blob store under their SHA-256 (put there by the API before the row is asked for).
CREATE TABLE "comm"."documents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid NOT NULL,
	"stage_id" uuid,
	"kind" text NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"uploaded_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "documents_student_idx" ON "comm"."documents" USING btree ("student_id","created_at");--> statement-breakpoint
CREATE INDEX "documents_stage_idx" ON "comm"."documents" USING btree ("stage_id");--> statement-breakpoint
CREATE INDEX "documents_created_idx" ON "comm"."documents" USING btree ("created_at","id");
