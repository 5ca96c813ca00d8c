"""The HTTP API: app factory, routers, upload streaming, problem+json errors."""

from shared.api.app import create_app

__all__ = ["create_app"]
