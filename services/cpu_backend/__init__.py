"""CPU backend: ``/api/v1/cpu``."""
