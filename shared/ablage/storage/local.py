"""Local-disk storage for embedded mode: ``<root>/<area>/<key>``, written atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ablage.storage.base import Area, StorageError


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        for area in Area:
            (self.root / area).mkdir(parents=True, exist_ok=True)

    def _path(self, area: Area, key: str) -> Path:
        path = (self.root / area / key).resolve()
        if not path.is_relative_to(self.root / area):
            raise ValueError(f"storage key escapes its area: {key!r}")
        return path

    def _write_atomically(self, target: Path, write: Callable[[BinaryIO], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_file(self, area: Area, key: str, path: Path) -> None:
        def write(handle: BinaryIO) -> None:
            with path.open("rb") as source:
                shutil.copyfileobj(source, handle, 1 << 20)

        self._write_atomically(self._path(area, key), write)

    def put_bytes(self, area: Area, key: str, data: bytes) -> None:
        self._write_atomically(self._path(area, key), lambda handle: handle.write(data))

    def get_bytes(self, area: Area, key: str) -> bytes:
        return self._path(area, key).read_bytes()

    @contextmanager
    def local_path(self, area: Area, key: str) -> Iterator[Path]:
        path = self._path(area, key)
        if not path.exists():
            raise FileNotFoundError(f"{area}/{key}")
        yield path

    def exists(self, area: Area, key: str) -> bool:
        return self._path(area, key).exists()

    def copy(self, area: Area, source: str, target: str) -> None:
        self.put_file(area, target, self._path(area, source))

    def delete(self, area: Area, key: str) -> None:
        self._path(area, key).unlink(missing_ok=True)

    def delete_prefix(self, area: Area, prefix: str) -> None:
        path = self._path(area, prefix)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def check(self) -> None:
        for area in Area:
            probe = self.root / area / ".ready-probe"
            try:
                probe.write_bytes(b"ok")
                probe.read_bytes()
                probe.unlink()
            except OSError as exc:
                raise StorageError(f"{area} is not writable: {exc.strerror}") from exc
