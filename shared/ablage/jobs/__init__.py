"""Jobs: submission (dedupe, storage, database, queue), processing, and completion."""
