"""The wheels' traineddata joined with the system's: one folder for Tesseract, the wheels' models first."""

from __future__ import annotations

from pathlib import Path

from ablage.tessdata import _joined, has_fraktur


def _models(folder: Path, *names: str) -> Path:
    folder.mkdir()
    for name in names:
        (folder / f"{name}.traineddata").write_bytes(f"{folder.name}:{name}".encode())
    return folder


def test_one_folder_is_used_as_it_is(tmp_path: Path) -> None:
    wheels = _models(tmp_path / "wheels", "deu", "eng", "osd")
    assert _joined((wheels,)) == wheels
    # A system folder with nothing the wheels lack changes nothing either.
    system = _models(tmp_path / "system", "eng")
    assert _joined((wheels, system)) == wheels
    assert not has_fraktur(wheels)


def test_models_the_wheels_lack_are_linked_beside_theirs(tmp_path: Path) -> None:
    wheels = _models(tmp_path / "wheels", "deu", "eng", "osd")
    system = _models(tmp_path / "system", "eng", "frk", "Fraktur")
    (system / "configs").mkdir()
    joined = _joined((wheels, system))
    assert joined not in (wheels, system)
    names = sorted(path.name for path in joined.iterdir())
    assert names == [
        "Fraktur.traineddata",
        "configs",
        "deu.traineddata",
        "eng.traineddata",
        "frk.traineddata",
        "osd.traineddata",
    ]
    # Where both have a model, the wheels' is read.
    assert (joined / "eng.traineddata").read_bytes() == b"wheels:eng"
    assert (joined / "frk.traineddata").read_bytes() == b"system:frk"
    assert has_fraktur(joined)
    # The same models give the same folder, so the page processes share one.
    _joined.cache_clear()
    assert _joined((wheels, system)) == joined
