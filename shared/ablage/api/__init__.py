"""The HTTP API: app factory, routers, upload streaming, problem+json errors."""

from ablage.api.app import create_app

__all__ = ["create_app"]
