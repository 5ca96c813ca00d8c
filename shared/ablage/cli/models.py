"""``ablage models``: which engines can run here, and what each is missing."""

from __future__ import annotations

import logging

import typer

from ablage.engines.supervisor import EngineState
from ablage.settings import Settings

# Commands wait this long for the engines they need: a GPU model's weights may take minutes to read.
LOAD_TIMEOUT = 900

models_app = typer.Typer(help="OCR engines and their model files.", no_args_is_help=True)


@models_app.command("check")
def models_check() -> None:
    """List every engine: loaded with version and languages, or the reason it cannot run."""
    from ablage.engines.registry import registered_engines
    from ablage.engines.supervisor import EngineSupervisor

    settings = Settings()
    enabled = settings.ocr.enabled_engines
    names = registered_engines()
    # Check every engine, enabled or not, so an operator sees what enabling one would need. They load in
    # parallel; "ok" for a GPU engine means its weights loaded and it ran a warm-up page.
    everything = settings.ocr.model_copy(update={"enabled_engines": names})
    # Each engine's state is printed below; the supervisor's warnings would say the same twice.
    logging.getLogger("ablage.engines.supervisor").setLevel(logging.ERROR)
    usable = 0
    with EngineSupervisor.running(settings.model_copy(update={"ocr": everything}), names) as engines:
        for name in names:
            state = "enabled" if name in enabled else "disabled (not in ENABLED_ENGINES)"
            status = engines.wait(name, LOAD_TIMEOUT)
            if not status.available or status.info is None:
                installed = "not installed: " if status.state is EngineState.not_installed else ""
                typer.echo(f"missing  {name}, {state}: {installed}{status.reason}")
                continue
            info = status.info
            usable += name in enabled
            detail = f"; {info.detail}" if info.detail else ""
            typer.echo(
                f"ok       {name} {info.version} ({info.device}), {state}; "
                f"languages: {', '.join(info.languages)}{detail}"
            )
    if not usable:
        raise typer.Exit(code=1)
