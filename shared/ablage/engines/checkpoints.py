"""What a saved vision model (``save_pretrained`` of a model and its image processor) needs on disk, checked
before anything heavy is imported, so that a missing file is named at start-up instead of failing a page."""

from __future__ import annotations

from pathlib import Path


def missing_checkpoint_files(folder: Path) -> list[Path]:
    needed = [folder / "config.json", folder / "preprocessor_config.json"]
    missing = [path for path in needed if not path.is_file()]
    if not any(folder.glob("*.safetensors")):
        missing.append(folder / "model.safetensors")
    return missing
