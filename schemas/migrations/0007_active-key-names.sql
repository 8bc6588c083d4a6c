-- An API key's name is unique among active keys only: a revoked key leaves
-- its name to the key that replaces it.
ALTER TABLE "gateway"."api_keys" DROP CONSTRAINT "api_keys_name_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_active_name_idx" ON "gateway"."api_keys" USING btree ("name") WHERE "gateway"."api_keys"."revoked_at" is null;