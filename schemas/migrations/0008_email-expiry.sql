-- An email carrying a one-time link knows when the link stops working: one
-- not sent by then is given up rather than sent. Emails queued before have none
-- (EMAIL_GIVE_UP_MS after their creation applies to them).
ALTER TABLE "auth"."emails" ADD COLUMN "expires_at" timestamp with time zone;