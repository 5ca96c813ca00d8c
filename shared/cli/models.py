"""``ablage models``: which engines can run here, and what each is missing."""

from __future__ import annotations

import typer

from shared.errors import EngineUnavailable
from shared.settings import Settings

_LOAD_TIMEOUT = 900

models_app = typer.Typer(help="OCR engines and their model files.", no_args_is_help=True)


@models_app.command("check")
def models_check() -> None:
    """List every engine: loaded with version and languages, or the reason it cannot run."""
    from shared.engines.registry import EngineRegistry, registered_engines

    registry = EngineRegistry(Settings())
    usable = 0
    for name in registered_engines():
        try:
            engine = registry.get(name)
        except EngineUnavailable as exc:
            typer.echo(f"missing  {name}: {exc.detail}")
            continue
        # GPU engines load their weights in the background; "ok" means they loaded and ran a warm-up page.
        wait_loaded = getattr(engine, "wait_loaded", None)
        if wait_loaded is not None:
            wait_loaded(_LOAD_TIMEOUT)
        info = engine.info()
        if info.loaded:
            usable += 1
            typer.echo(f"ok       {name} {info.version} ({info.device}); languages: {', '.join(info.languages)}")
        else:
            typer.echo(f"missing  {name}: {info.detail}")
    registry.close()
    if not usable:
        raise typer.Exit(code=1)
