CREATE TABLE "eval"."stages" (
	"stage_id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid,
	"offer_id" uuid,
	"establishment_id" uuid,
	"encadrant_id" uuid,
	"status" text NOT NULL,
	"start_date" text,
	"end_date" text,
	"started_on" text,
	"completed_on" text,
	"cancel_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval"."encadrants" (
	"encadrant_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval"."students" (
	"student_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"email" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "eval"."evaluations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"stage_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"evaluator_id" uuid NOT NULL,
	"evaluator_role" text NOT NULL,
	"status" text NOT NULL,
	"score" numeric(5, 2),
	"criteria" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"submitted_at" timestamp with time zone,
	CONSTRAINT "evaluations_stage_evaluator_unique" UNIQUE("stage_id","evaluator_id"),
	CONSTRAINT "evaluations_submitted_has_score" CHECK ("eval"."evaluations"."status" <> 'submitted' or "eval"."evaluations"."score" is not null)
);
--> statement-breakpoint
CREATE TABLE "eval"."grades" (
	"stage_id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid NOT NULL,
	"final_grade" numeric(5, 2) NOT NULL,
	"assigned_by" uuid NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "stages_student_id_idx" ON "eval"."stages" USING btree ("student_id");--> statement-breakpoint
CREATE INDEX "stages_encadrant_id_idx" ON "eval"."stages" USING btree ("encadrant_id");--> statement-breakpoint
CREATE INDEX "encadrants_user_id_idx" ON "eval"."encadrants" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "students_user_id_idx" ON "eval"."students" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "evaluations_student_id_idx" ON "eval"."evaluations" USING btree ("student_id");--> statement-breakpoint
CREATE INDEX "evaluations_evaluator_id_idx" ON "eval"."evaluations" USING btree ("evaluator_id");--> statement-breakpoint
CREATE INDEX "grades_student_id_idx" ON "eval"."grades" USING btree ("student_id");
--> statement-breakpoint
CREATE TABLE "eval"."token_versions" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"role" text,
	"token_version" integer DEFAULT 0 NOT NULL,
	"deleted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
