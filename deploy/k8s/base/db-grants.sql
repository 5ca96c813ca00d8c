-- The services' database role, run by the db-migrate Job after `ablage db upgrade`, as the master user (the owner of
-- the tables). The role reads and writes rows and draws sequence values; it makes no DDL and owns nothing, so a
-- compromised service can neither change the schema nor read another database. Idempotent: every release runs it.
-- The role, its password and the database are filled in by db-grants.py, each quoted as an identifier or a literal.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {role_literal}) THEN
    CREATE ROLE {role};
  END IF;
END
$$;
-- CREATE ROLE leaves out SUPERUSER, REPLICATION and BYPASSRLS (which RDS's master user may not set either way).
ALTER ROLE {role} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD {password};
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO {role};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
-- The migrations' own bookkeeping stays theirs.
REVOKE INSERT, UPDATE, DELETE ON TABLE public.alembic_version FROM {role};
-- Tables and sequences that later migrations create (as this same user) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {role};
