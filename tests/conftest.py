from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.clock import FakeClock
from assistant.config import HomePaths, Settings
from assistant.profile import Profile, create_profile
from assistant.store import Store

REPO = Path(__file__).resolve().parent.parent
LISBON = ZoneInfo("Europe/Lisbon")


@pytest.fixture(autouse=True)
def tandem_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own TANDEM_HOME; nothing touches a real home folder."""
    home = tmp_path / "tandem-home"
    monkeypatch.setenv("TANDEM_HOME", str(home))
    yield home


@pytest.fixture
def home(tandem_home: Path) -> HomePaths:
    paths = HomePaths(tandem_home)
    paths.ensure()
    return paths


@pytest.fixture
def store(home: HomePaths) -> Iterator[Store]:
    s = Store(home.db_file, home.backups)
    s.open()
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 2, 19, 0, tzinfo=LISBON))


@pytest.fixture
def profile(store: Store) -> Profile:
    return create_profile(store, ["Alex", "Sam"], None, "Europe/Lisbon", force=False,
                          now=datetime(2026, 11, 1, 12, 0, tzinfo=LISBON))


@pytest.fixture
def settings(home: HomePaths) -> Settings:
    return Settings(home=home)


def pytest_report_header(config: pytest.Config) -> str:
    return f"TANDEM virtual home: {os.environ.get('PULSE_SERVER', 'not running (audio tests skip)')}"


# Tests that play into (or record from) the one shared virtual home must not run at the same time
# (pytest-xdist workers): they go to one worker, in order. Every other file is one group of its
# own, so its module-scoped fixtures (a matcher, a recogniser) are built once.
SHARED_VHOME = {"test_audio.py", "test_voice.py", "test_doctor.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group("shared-vhome" if name in SHARED_VHOME else name))
