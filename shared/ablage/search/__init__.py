"""Full-text search over the current version of each of a tenant's documents: PostgreSQL's ``german`` text search
in production, SQLite's FTS5 over the same German stems when embedded, behind one interface (``search_pages``)."""
