"""The deployable services, each an app built from the shared factory."""
