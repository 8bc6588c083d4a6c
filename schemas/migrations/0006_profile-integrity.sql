-- Profile's account directory keeps each account's role, as user.created said
-- it, so that a profile is made only for an account of its kind. An account
-- remembered before takes its role from auth's own row (the one migration
-- that reads another service's table: the role user.created carried), else
-- from its profile, else none.
-- An encadrant's establishment is a foreign key: an establishment with
-- encadrants cannot be deleted, and one being deleted cannot be given to an
-- encadrant. An encadrant left pointing at a deleted establishment is detached.
ALTER TABLE "profile"."accounts" ADD COLUMN "role" text;--> statement-breakpoint
UPDATE "profile"."accounts" AS a SET "role" = u."role" FROM "auth"."users" AS u WHERE u."id" = a."user_id";--> statement-breakpoint
UPDATE "profile"."accounts" AS a SET "role" = 'student'
  WHERE a."role" IS NULL AND EXISTS (SELECT 1 FROM "profile"."students" AS s WHERE s."user_id" = a."user_id");--> statement-breakpoint
UPDATE "profile"."accounts" AS a SET "role" = 'encadrant'
  WHERE a."role" IS NULL AND EXISTS (SELECT 1 FROM "profile"."encadrants" AS e WHERE e."user_id" = a."user_id");--> statement-breakpoint
UPDATE "profile"."encadrants" AS e SET "establishment_id" = NULL, "updated_at" = now()
  WHERE e."establishment_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "profile"."establishments" AS x WHERE x."id" = e."establishment_id");--> statement-breakpoint
ALTER TABLE "profile"."encadrants" ADD CONSTRAINT "encadrants_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "profile"."establishments"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "encadrants_establishment_idx" ON "profile"."encadrants" USING btree ("establishment_id");
