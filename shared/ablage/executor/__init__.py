"""Page processes: where a job's pages are read, under hard time and memory limits."""
