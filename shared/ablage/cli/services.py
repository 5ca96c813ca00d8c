"""The installed services, found through their entry points: the services are built on this library, so the
CLI assembles a process from them by name, never by importing them.

- ``ablage.apps``: the app factory of each ``ablage serve --service`` choice, as uvicorn's ``module:attribute``.
- ``ablage.routes``: ``(Settings) -> ServiceRoute`` for each prefix, which ``ablage worker`` runs the jobs of.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import typer

from ablage.jobs.routes import ServiceRoute
from ablage.settings import Settings

APPS = "ablage.apps"
ROUTES = "ablage.routes"
_REINSTALL = "no service declares them; reinstall the package (pip install -e .) to register its entry points"


def app_factory(service: str) -> str:
    found = entry_points(group=APPS, name=service)
    if not found:
        raise typer.BadParameter(f"no app {service!r} in the entry points {APPS}: {_REINSTALL}")
    return next(iter(found)).value


def service_routes(settings: Settings) -> list[ServiceRoute]:
    """Every installed route, by name, so that a worker knows each job's fallback whichever service took it."""
    routes = []
    for point in sorted(entry_points(group=ROUTES), key=lambda point: point.name):
        route: Callable[[Settings], ServiceRoute] = point.load()
        routes.append(route(settings))
    if not routes:
        raise typer.BadParameter(f"no routes in the entry points {ROUTES}: {_REINSTALL}")
    return routes
