"""The database: system of record for documents and jobs."""
