"""Model download (against a local HTTP server), install from a zip, listing, and engine choice."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import HomePaths, SpeechSettings
from assistant.errors import TandemError
from assistant.speech import models
from assistant.speech.engines import active_engine, choose_engine, make_recognizer
from assistant.speech.models import ModelError, OfflineError, check_model_dir, download_model, install_zip
from tests.range_server import RangeServer

NAME = "vosk-model-fake-en-0.1"
ARCHIVE = f"{NAME}.zip"


def fake_model_zip(top: str | None = NAME, extra: dict[str, bytes] | None = None, pad: int = 200_000) -> bytes:
    """A zip shaped like a small Vosk model (padding makes resume-after-a-cut meaningful)."""
    files = {
        "am/final.mdl": os.urandom(pad),
        "conf/model.conf": b"--beam=10\n",
        "conf/mfcc.conf": b"--use-energy=false\n",
        "graph/HCLr.fst": b"fst",
        "graph/Gr.fst": b"fst",
        "graph/phones/word_boundary.int": b"1 nonword\n",
        "ivector/final.ie": b"ie",
        "README": b"fake",
    }
    files.update(extra or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for rel, data in files.items():
            zf.writestr(f"{top}/{rel}" if top else rel, data)
    return buf.getvalue()


@pytest.fixture
def server() -> Iterator[RangeServer]:
    with RangeServer({ARCHIVE: fake_model_zip()}) as s:
        yield s


@pytest.fixture
def url(server: RangeServer) -> str:
    return f"{server.url}/{ARCHIVE}"


def test_download_installs_a_verified_model(home: HomePaths, server: RangeServer, url: str) -> None:
    seen: list[tuple[int, int | None]] = []
    folder = download_model(home.models, NAME, url=url, progress=lambda d, t: seen.append((d, t)))
    assert folder == home.models / NAME and check_model_dir(folder) is None
    size = len(server.files[ARCHIVE])
    assert seen[-1] == (size, size)
    assert not list(home.models.glob("*.part")) and not list(home.models.glob(".installing*"))
    assert download_model(home.models, NAME, url=url) == folder  # already there: no request
    assert len(server.requests) == 1


def test_download_resumes_after_a_cut(home: HomePaths, server: RangeServer, url: str) -> None:
    server.cut[ARCHIVE] = 70_000
    with pytest.raises(OfflineError, match="again to resume.*PocketSphinx"):
        download_model(home.models, NAME, url=url)
    part = home.models / f"{NAME}.zip.part"
    assert part.stat().st_size == 70_000
    folder = download_model(home.models, NAME, url=url)
    assert server.requests == [(ARCHIVE, None), (ARCHIVE, "bytes=70000-")]
    assert check_model_dir(folder) is None
    served = zipfile.ZipFile(io.BytesIO(server.files[ARCHIVE])).read(f"{NAME}/am/final.mdl")
    assert (folder / "am" / "final.mdl").read_bytes() == served


def test_download_restarts_when_the_server_ignores_range(home: HomePaths, server: RangeServer, url: str) -> None:
    (home.models / f"{NAME}.zip.part").write_bytes(server.files[ARCHIVE][:5000])
    server.honour_range = False
    assert check_model_dir(download_model(home.models, NAME, url=url)) is None


def test_download_checks_size_and_checksum(home: HomePaths, server: RangeServer, url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    body = server.files[ARCHIVE]
    good = hashlib.sha256(body).hexdigest()
    monkeypatch.setitem(models.KNOWN_MODELS, NAME, models.KnownModel(NAME, len(body), "0" * 64))
    with pytest.raises(ModelError, match="SHA-256"):
        download_model(home.models, NAME, url=url)
    assert not (home.models / f"{NAME}.zip.part").exists()  # a bad archive is not kept to resume from
    monkeypatch.setitem(models.KNOWN_MODELS, NAME, models.KnownModel(NAME, len(body), good))
    assert check_model_dir(download_model(home.models, NAME, url=url)) is None


def test_download_errors_are_one_clear_line(home: HomePaths, server: RangeServer, url: str) -> None:
    server.status = 404
    with pytest.raises(ModelError, match="answered 404") as info:
        download_model(home.models, NAME, url=url)
    assert "\n" not in str(info.value)
    port = server.httpd.server_address[1]
    server.close()
    with pytest.raises(OfflineError, match="cannot reach 127.0.0.1.*keeps working on the embedded PocketSphinx"):
        download_model(home.models, NAME, url=f"http://127.0.0.1:{port}/x.zip", timeout=5)


def test_the_official_model_is_pinned() -> None:
    known = models.KNOWN_MODELS[models.DEFAULT_MODEL]
    assert known.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert known.size and known.sha256 and len(known.sha256) == 64


def test_install_from_zip_nested_or_flat(home: HomePaths, tmp_path: Path) -> None:
    nested = tmp_path / "nested.zip"
    nested.write_bytes(fake_model_zip())
    assert install_zip(nested, home.models) == home.models / NAME
    flat = tmp_path / "vosk-model-flat-0.2.zip"
    flat.write_bytes(fake_model_zip(top=None))
    assert install_zip(flat, home.models) == home.models / "vosk-model-flat-0.2"
    assert nested.exists()  # the person's own file is left alone
    assert [p.name for p in models.installed_models([home.models])] == [NAME, "vosk-model-flat-0.2"]


@pytest.mark.parametrize("evil", ["../escape.txt", "/etc/evil", f"{NAME}/../../escape.txt", "C:/evil"])
def test_install_refuses_zip_slip(home: HomePaths, tmp_path: Path, evil: str) -> None:
    archive = tmp_path / "evil.zip"
    archive.write_bytes(fake_model_zip(extra={}))
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(evil, b"pwned")
    with pytest.raises(ModelError, match="refuses to unpack"):
        install_zip(archive, home.models)
    assert not (tmp_path / "escape.txt").exists() and not (home.root / "escape.txt").exists()
    assert list(home.models.iterdir()) == []


def test_install_refuses_symlinks_and_non_models(home: HomePaths, tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("model/am/final.mdl")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ModelError, match="symbolic link"):
        install_zip(archive, home.models)
    notmodel = tmp_path / "photos.zip"
    with zipfile.ZipFile(notmodel, "w") as zf:
        zf.writestr("holiday/beach.jpg", b"jpeg")
    with pytest.raises(ModelError, match="neither a Vosk nor a Whisper model"):
        install_zip(notmodel, home.models)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    with pytest.raises(ModelError, match="not a zip"):
        install_zip(junk, home.models)
    assert list(home.models.iterdir()) == []


def test_engine_choice(home: HomePaths, tmp_path: Path) -> None:
    auto = SpeechSettings()
    assert choose_engine(auto, home).engine == "pocketsphinx"
    assert "no Vosk model installed" in active_engine(auto, home)
    with pytest.raises(TandemError, match="tandem model download"):
        choose_engine(SpeechSettings(engine="vosk"), home)
    archive = tmp_path / "m.zip"
    archive.write_bytes(fake_model_zip())
    install_zip(archive, home.models)
    choice = choose_engine(auto, home)
    assert (choice.engine, choice.model) == ("vosk", home.models / NAME)
    assert choose_engine(SpeechSettings(engine="pocketsphinx"), home).engine == "pocketsphinx"
    broken = SpeechSettings(vosk_model=str(tmp_path / "missing"))
    assert choose_engine(broken, home).engine == "pocketsphinx"  # auto never fails because of Vosk
    with pytest.raises(TandemError, match="missing"):
        choose_engine(SpeechSettings(engine="vosk", vosk_model=str(tmp_path / "missing")), home)


def test_make_recognizer_falls_back_when_the_model_does_not_load(home: HomePaths, tmp_path: Path) -> None:
    archive = tmp_path / "m.zip"
    archive.write_bytes(fake_model_zip())
    install_zip(archive, home.models)  # the right shape, but garbage inside
    assert make_recognizer(SpeechSettings(), home).name == "pocketsphinx"
    with pytest.raises(TandemError, match="failed to load"):
        make_recognizer(SpeechSettings(engine="vosk"), home)
    assert make_recognizer(SpeechSettings(engine="vosk"), home, engine="pocketsphinx").name == "pocketsphinx"


def test_cli_model_commands(home: HomePaths, url: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert "no Vosk model installed" in out and "active engine: pocketsphinx" in out
    assert main(["model", "download", "--url", url, "--name", NAME]) == 0
    captured = capsys.readouterr()
    assert f"installed {home.models / NAME}" in captured.out and "100.0%" in captured.err
    archive = tmp_path / "vosk-model-usb-0.3.zip"
    archive.write_bytes(fake_model_zip(top=None))
    assert main(["model", "install", str(archive)]) == 0
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert NAME in out and "vosk-model-usb-0.3" in out and "active engine: vosk" in out


def test_cli_model_errors_are_one_line(home: HomePaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "install", str(tmp_path / "nothing.zip")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no such file" in err
    assert main(["model", "download", "--url", "http://127.0.0.1:9/x.zip", "--name", NAME]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "keeps working on the embedded PocketSphinx engine" in err
