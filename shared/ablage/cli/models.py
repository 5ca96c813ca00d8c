"""``ablage models``: which engines can run here, and what each is missing."""

from __future__ import annotations

import typer

from ablage.errors import EngineUnavailable
from ablage.settings import Settings

_LOAD_TIMEOUT = 900

models_app = typer.Typer(help="OCR engines and their model files.", no_args_is_help=True)


@models_app.command("check")
def models_check() -> None:
    """List every engine: loaded with version and languages, or the reason it cannot run."""
    from ablage.engines.registry import EngineRegistry, registered_engines

    settings = Settings()
    enabled = settings.ocr.enabled_engines
    # Check every engine, enabled or not, so an operator sees what enabling one would need.
    everything = settings.ocr.model_copy(update={"enabled_engines": registered_engines()})
    registry = EngineRegistry(settings.model_copy(update={"ocr": everything}))
    usable = 0
    for name in registered_engines():
        state = "enabled" if name in enabled else "disabled (not in ENABLED_ENGINES)"
        try:
            engine = registry.get(name)
        except EngineUnavailable as exc:
            typer.echo(f"missing  {name}, {state}: {exc.detail}")
            continue
        # GPU engines load their weights in the background; "ok" means they loaded and ran a warm-up page.
        wait_loaded = getattr(engine, "wait_loaded", None)
        if wait_loaded is not None:
            wait_loaded(_LOAD_TIMEOUT)
        info = engine.info()
        if info.loaded:
            usable += name in enabled
            detail = f"; {info.detail}" if info.detail else ""
            typer.echo(
                f"ok       {name} {info.version} ({info.device}), {state}; "
                f"languages: {', '.join(info.languages)}{detail}"
            )
        else:
            typer.echo(f"missing  {name}, {state}: {info.detail}")
    registry.close()
    if not usable:
        raise typer.Exit(code=1)
