CREATE TABLE "core"."encadrants" (
	"encadrant_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"establishment_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "encadrants_user_id_unique" UNIQUE("user_id")
);
--> statement-breakpoint
CREATE TABLE "core"."establishments" (
	"establishment_id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"city" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."offers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"establishment_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"speciality" text,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"capacity" integer NOT NULL,
	"places_taken" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "offers_places_check" CHECK ("core"."offers"."places_taken" >= 0 and "core"."offers"."places_taken" <= "core"."offers"."capacity")
);
--> statement-breakpoint
CREATE TABLE "core"."stage_grades" (
	"stage_id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid NOT NULL,
	"final_grade" numeric(5, 2) NOT NULL,
	"assigned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."stage_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "core"."stage_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"stage_id" uuid NOT NULL,
	"status" text NOT NULL,
	"by_user_id" uuid,
	"by_role" text NOT NULL,
	"reason" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."stages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"student_id" uuid NOT NULL,
	"offer_id" uuid NOT NULL,
	"establishment_id" uuid NOT NULL,
	"encadrant_id" uuid,
	"status" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"actual_start_date" date,
	"completion_date" date,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "offers_establishment_idx" ON "core"."offers" USING btree ("establishment_id");--> statement-breakpoint
CREATE INDEX "stage_history_stage_idx" ON "core"."stage_history" USING btree ("stage_id","id");--> statement-breakpoint
CREATE INDEX "stages_student_idx" ON "core"."stages" USING btree ("student_id");--> statement-breakpoint
CREATE INDEX "stages_offer_idx" ON "core"."stages" USING btree ("offer_id");--> statement-breakpoint
CREATE INDEX "stages_encadrant_idx" ON "core"."stages" USING btree ("encadrant_id");--> statement-breakpoint
CREATE INDEX "stages_due_idx" ON "core"."stages" USING btree ("start_date") WHERE "core"."stages"."status" = 'accepted';