-- What the effect of a command outside the database did, stored before the
-- command's transaction: a command that comes back is applied with it, its
-- effect not done a second time.
CREATE TABLE "auth"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "comm"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "core"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profile"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ops"."command_effects" (
	"command_id" text PRIMARY KEY NOT NULL,
	"command_type" text NOT NULL,
	"outcome" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
