"""Create or update the services' database role and its grants (db-grants.sql), as the db-migrate Job's last step.

Runs in the application image as the master user (DATABASE_URL, the migrate URL), after the migrations; the role's
name and password (APP_DATABASE_USER, APP_DATABASE_PASSWORD) are the ones in the services' DATABASE_URL."""

import os
from pathlib import Path

import psycopg
from psycopg import sql

url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
role = os.environ["APP_DATABASE_USER"]
statements = sql.SQL((Path(__file__).parent / "db-grants.sql").read_text())
with psycopg.connect(url) as connection:
    query = statements.format(
        role=sql.Identifier(role),
        role_literal=sql.Literal(role),
        password=sql.Literal(os.environ["APP_DATABASE_PASSWORD"]),
        database=sql.Identifier(connection.info.dbname),
    )
    connection.execute(query)
print(f"database role {role}: granted")
