"""Where a model's files are, and whether they are all there, decided in milliseconds before any weight is read.

A partial download (a shard missing or cut short) would otherwise surface minutes later as an obscure error
deep inside ``from_pretrained``; here it is an EngineUnavailable that names the folder and the file.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from ablage.errors import EngineUnavailable
from ablage.settings import ModelSettings

_PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def hf_cache(settings: ModelSettings) -> Path:
    home = settings.hf_home or Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    return home / "hub"


def resolve_model_dir(model_name: str, settings: ModelSettings) -> Path:
    """``MODEL_DIR`` (the model's folder, or a folder of ``<org>/<name>`` folders), else the offline HF cache."""
    if settings.model_dir is not None:
        root = settings.model_dir
        for candidate in (root, root / model_name, root / model_name.rsplit("/", 1)[-1]):
            if (candidate / "config.json").is_file():
                return candidate
        raise EngineUnavailable(
            f"no files for {model_name} under MODEL_DIR={root}: expected {root / 'config.json'} "
            f"or {root / model_name / 'config.json'}"
        )
    cache = hf_cache(settings)
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise EngineUnavailable("transformers is not installed (pip install 'ablage-system[gpu]')") from exc
    try:
        return Path(snapshot_download(model_name, cache_dir=cache, local_files_only=True))
    except Exception as exc:
        raise EngineUnavailable(
            f"{model_name} is not in the Hugging Face cache at {cache}: place its files there (HF_HOME) "
            "or in MODEL_DIR; weights are never downloaded at run time"
        ) from exc


def validate_model_dir(path: Path, model_types: tuple[str, ...]) -> dict[str, object]:
    """The parsed config.json, once the folder holds a config of the right type, a processor, a tokenizer and
    complete weights. Raises EngineUnavailable naming the folder and what is wrong."""
    if not path.is_dir():
        raise EngineUnavailable(f"model folder {path} does not exist")
    config_file = path / "config.json"
    try:
        config = json.loads(config_file.read_text())
    except FileNotFoundError:
        raise EngineUnavailable(f"{config_file} is missing") from None
    except (OSError, ValueError) as exc:
        raise EngineUnavailable(f"{config_file} is unreadable: {exc}") from None
    if config.get("model_type") not in model_types:
        raise EngineUnavailable(
            f"{config_file} describes model_type {config.get('model_type')!r}, not {' or '.join(model_types)}"
        )
    for group in (_PROCESSOR_FILES, _TOKENIZER_FILES):
        if not any((path / name).is_file() for name in group):
            raise EngineUnavailable(f"{path} has none of {', '.join(group)}: the model's processor is incomplete")
    for shard in _weight_files(path):
        _check_safetensors(shard)
    return dict(config)


def _weight_files(path: Path) -> list[Path]:
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (OSError, ValueError, KeyError) as exc:
            raise EngineUnavailable(f"{index} is unreadable: {exc}") from None
        shards = [path / name for name in sorted(set(weight_map.values()))]
        missing = [shard.name for shard in shards if not shard.is_file()]
        if missing:
            raise EngineUnavailable(f"{path} lacks {len(missing)} of {len(shards)} weight shards: {', '.join(missing)}")
        return shards
    single = path / "model.safetensors"
    if single.is_file():
        return [single]
    raise EngineUnavailable(f"{path} has no weights (model.safetensors or model.safetensors.index.json)")


def _check_safetensors(shard: Path) -> None:
    """A safetensors file states its own length in its header: a file cut short is caught without reading it."""
    size = shard.stat().st_size
    try:
        with shard.open("rb") as handle:
            (header_length,) = struct.unpack("<Q", handle.read(8))
            if header_length > size:
                raise ValueError("header longer than the file")
            header = json.loads(handle.read(header_length))
    except (OSError, ValueError, struct.error) as exc:
        raise EngineUnavailable(f"{shard} is not a readable safetensors file ({exc}): download it again") from None
    data_end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    if size < 8 + header_length + data_end:
        raise EngineUnavailable(
            f"{shard} is incomplete ({size} of {8 + header_length + data_end} bytes): download it again"
        )
