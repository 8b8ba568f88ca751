from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

from assistant.runtime import service


def test_unit_restarts_on_failure_and_runs_tandem(tmp_path: Path) -> None:
    plan = service.plan(tmp_path / "home", config_home=tmp_path / "cfg")
    unit = configparser.ConfigParser(strict=False)
    unit.read_string(plan.text)
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Service"]["ExecStart"].endswith("-m assistant run --service")
    assert sys.executable in unit["Service"]["ExecStart"]
    assert f"TANDEM_HOME={tmp_path / 'home'}" in plan.text
    assert unit["Install"]["WantedBy"] == "default.target"
    assert plan.unit_path == tmp_path / "cfg" / "systemd" / "user" / "tandem.service"


def test_install_without_enable_writes_the_unit(tmp_path: Path) -> None:
    plan = service.plan(tmp_path / "home", config_home=tmp_path / "cfg")
    done = service.install(plan, enable=False)
    assert plan.unit_path.read_text() == plan.text
    assert "wrote" in done[0]
    assert "installed" in service.status(plan)


def test_cli_print(tandem_home: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "assistant", "service", "install", "--print"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "[Service]" in r.stdout and str(tandem_home) in r.stdout
