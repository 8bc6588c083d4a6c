ALTER TABLE "auth"."command_results" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "comm"."command_results" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "core"."command_results" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "eval"."command_results" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "gateway"."command_results" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "profile"."command_results" ADD COLUMN "request_hash" text;