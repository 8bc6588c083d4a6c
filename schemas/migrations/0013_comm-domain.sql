-- comm links each notification to what it is about (null for a welcome) and
-- keeps, from events, whose account each encadrant is and who each stage is
-- about; profile keeps who supervises whom, from core's stages.
ALTER TABLE "comm"."notifications" ADD COLUMN "related_type" text;--> statement-breakpoint
ALTER TABLE "comm"."notifications" ADD COLUMN "related_id" uuid;--> statement-breakpoint
CREATE TABLE "comm"."encadrants" (
	"encadrant_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"establishment_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "comm"."stages" (
	"stage_id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid,
	"encadrant_id" uuid,
	"establishment_id" uuid,
	"status" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profile"."supervisions" (
	"stage_id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid,
	"encadrant_id" uuid,
	"active" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "encadrants_establishment_idx" ON "comm"."encadrants" USING btree ("establishment_id");--> statement-breakpoint
CREATE INDEX "supervisions_encadrant_student_idx" ON "profile"."supervisions" USING btree ("encadrant_id","student_id");
