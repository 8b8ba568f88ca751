"""Whisper model files: download (against a local HTTP server on 127.0.0.1), resume, verify, install, list."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import HomePaths
from assistant.speech import whisper_models
from assistant.speech.models import ModelError, OfflineError, install_zip
from assistant.speech.whisper_models import (KnownWhisper, ModelFile, check_whisper_dir, download_whisper,
                                             find_whisper, install_whisper_dir, installed_whisper)
from tests.range_server import RangeServer


def fake_files(pad: int = 300_000) -> dict[str, bytes]:
    return {"model.bin": os.urandom(pad), "config.json": b'{"alignment_heads": []}', "tokenizer.json": b"{}",
            "vocabulary.txt": b"a\nb\n"}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[RangeServer]:
    files = fake_files()
    pinned = tuple(ModelFile(n, len(b), hashlib.sha256(b).hexdigest()) for n, b in files.items())
    monkeypatch.setitem(whisper_models.KNOWN_WHISPER, "whisper-base",
                        KnownWhisper("whisper-base", "Systran/faster-whisper-base", pinned))
    with RangeServer(files) as server:
        yield server


def test_download_fetches_every_file_and_installs_whole(tmp_path: Path, served: RangeServer) -> None:
    seen: list[tuple[int, int | None]] = []
    folder = download_whisper(tmp_path, "whisper-base", base_url=served.url, progress=lambda d, t: seen.append((d, t)))
    assert folder == tmp_path / "whisper-base" and check_whisper_dir(folder) is None
    assert (folder / "model.bin").read_bytes() == served.files["model.bin"]
    total = sum(len(b) for b in served.files.values())
    assert seen[-1] == (total, total)  # one bar over all the files
    assert not (tmp_path / ".whisper-base.download").exists()
    served.requests.clear()
    assert download_whisper(tmp_path, "whisper-base", base_url=served.url) == folder
    assert served.requests == []  # installed: nothing fetched again


def test_an_interrupted_download_resumes_where_it_stopped(tmp_path: Path, served: RangeServer) -> None:
    served.cut["model.bin"] = 100_000
    with pytest.raises(OfflineError, match="again to resume"):
        download_whisper(tmp_path, "whisper-base", base_url=served.url)
    assert not (tmp_path / "whisper-base").exists()  # never a half model where the chooser looks
    assert (tmp_path / ".whisper-base.download" / "model.bin.part").stat().st_size == 100_000
    download_whisper(tmp_path, "whisper-base", base_url=served.url)
    assert ("model.bin", "bytes=100000-") in served.requests
    assert (tmp_path / "whisper-base" / "model.bin").read_bytes() == served.files["model.bin"]


def test_a_corrupted_file_is_refused_and_deleted(tmp_path: Path, served: RangeServer) -> None:
    served.files["model.bin"] = bytes(len(served.files["model.bin"]))  # right size, wrong bytes
    with pytest.raises(ModelError, match="SHA-256"):
        download_whisper(tmp_path, "whisper-base", base_url=served.url)
    assert not (tmp_path / ".whisper-base.download" / "model.bin.part").exists()
    assert not (tmp_path / "whisper-base").exists()


def test_offline_says_what_to_do(tmp_path: Path, served: RangeServer) -> None:
    with pytest.raises(OfflineError, match="cannot reach"):
        download_whisper(tmp_path, "whisper-base", base_url="http://127.0.0.1:9/nothing", timeout=2)
    with pytest.raises(ModelError, match="whisper-base, whisper-tiny"):
        download_whisper(tmp_path, "whisper-huge")


@pytest.mark.parametrize("name", ["whisper-base", "whisper-tiny"])
def test_a_model_without_pins_is_refused_before_anything_is_fetched(tmp_path: Path, name: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Fail closed: no size and SHA-256 to check against, no download (the shipped table pins none yet)."""
    with RangeServer(fake_files()) as server:
        refused = "no pinned size and SHA-256 for model.bin.*tandem model install DIR"
        with pytest.raises(ModelError, match=refused) as err:
            download_whisper(tmp_path, name, base_url=server.url)
        assert "\n" not in str(err.value)
        assert server.requests == [] and not any(tmp_path.iterdir())


def test_one_unpinned_file_is_enough_to_refuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = fake_files()
    pins = [ModelFile(n, len(b), hashlib.sha256(b).hexdigest()) for n, b in files.items()]
    pins[1] = ModelFile(pins[1].name, pins[1].size, None)  # a size is not enough
    monkeypatch.setitem(whisper_models.KNOWN_WHISPER, "whisper-base", KnownWhisper("whisper-base", "x/y", tuple(pins)))
    with RangeServer(files) as server:
        with pytest.raises(ModelError, match=f"for {pins[1].name} of x/y"):
            download_whisper(tmp_path, "whisper-base", base_url=server.url)
        assert server.requests == []


def test_a_file_of_the_wrong_size_is_refused(tmp_path: Path, served: RangeServer) -> None:
    served.files["config.json"] += b" "
    with pytest.raises(ModelError, match="config.json has .* bytes, expected"):
        download_whisper(tmp_path, "whisper-base", base_url=served.url)
    assert not (tmp_path / "whisper-base").exists()


def test_cli_download_refuses_an_unpinned_model_in_one_line(home: HomePaths,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "download", "whisper-base", "--url", "http://127.0.0.1:9/nothing"]) != 0
    err = capsys.readouterr().err.strip()
    assert "no pinned size and SHA-256" in err and "tandem model install DIR" in err and len(err.splitlines()) == 1


def test_cli_download_then_list_shows_both_kinds(served: RangeServer, home: HomePaths,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "download", "whisper-base", "--url", served.url]) == 0
    out = capsys.readouterr().out
    assert "installed" in out and "free speech: whisper" in out
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert "whisper-base" in out and "MB of RAM" in out and "active engine: pocketsphinx" in out
    assert "pocketsphinx  (embedded" in out


def test_install_from_a_folder_and_a_zip(tmp_path: Path) -> None:
    src = tmp_path / "usb" / "faster-whisper-base"
    src.mkdir(parents=True)
    for name, body in fake_files(1000).items():
        (src / name).write_bytes(body)
    models = tmp_path / "models"
    assert install_whisper_dir(src, models).name == "whisper-faster-whisper-base"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in fake_files(1000).items():
            zf.writestr(f"whisper-tiny/{name}", body)
    archive = tmp_path / "whisper-tiny.zip"
    archive.write_bytes(buf.getvalue())
    assert install_zip(archive, models) == models / "whisper-tiny"
    assert [p.name for p in installed_whisper([models])] == ["whisper-tiny", "whisper-faster-whisper-base"]
    assert find_whisper("", [models]) == models / "whisper-tiny"


def _modes(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(each path's mode, the mode it should have) under ``folder``, itself included."""
    paths = {str(p.relative_to(folder.parent)): p for p in [folder, *folder.rglob("*")]}
    return ({k: oct(stat.S_IMODE(p.lstat().st_mode)) for k, p in paths.items()},
            {k: oct(0o700 if p.is_dir() else 0o600) for k, p in paths.items()})


def test_a_model_installed_from_a_folder_is_its_owners_alone(tmp_path: Path, home: HomePaths) -> None:
    src = tmp_path / "usb" / "whisper-base"
    (src / "extra").mkdir(parents=True)
    for name, body in fake_files(1000).items():
        (src / name).write_bytes(body)
    (src / "extra" / "README.md").write_text("a note the copy keeps\n")
    for path in [src, *src.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # as a USB stick or another home hands them over
    assert main(["model", "install", str(src)]) == 0
    installed = home.models / "whisper-base"
    have, private = _modes(installed)
    assert have == private and len(have) == 7


def test_a_model_installed_from_a_zip_is_its_owners_alone(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, body in fake_files(1000).items():
            zf.writestr(f"whisper-tiny/{name}", body)
        zf.writestr("whisper-tiny/extra/README.md", "a note\n")
    archive = tmp_path / "whisper-tiny.zip"
    archive.write_bytes(buf.getvalue())
    old = os.umask(0o022)  # called as a library, not through the CLI's umask
    try:
        installed = install_zip(archive, tmp_path / "models")
    finally:
        os.umask(old)
    have, private = _modes(installed)
    assert have == private and len(have) == 7


def test_base_is_preferred_and_a_broken_folder_is_not_a_model(tmp_path: Path) -> None:
    for name in ("whisper-tiny", "whisper-base"):
        (tmp_path / name).mkdir()
        for f, body in fake_files(10).items():
            (tmp_path / name / f).write_bytes(body)
    (tmp_path / "whisper-broken").mkdir()
    (tmp_path / "whisper-broken" / "model.bin").write_bytes(b"x")
    assert [p.name for p in installed_whisper([tmp_path])] == ["whisper-base", "whisper-tiny"]
    assert "config.json is missing" in (check_whisper_dir(tmp_path / "whisper-broken") or "")
    with pytest.raises(ModelError, match="not a Whisper model"):
        install_whisper_dir(tmp_path / "whisper-broken", tmp_path / "models")
