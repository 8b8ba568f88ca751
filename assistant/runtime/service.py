"""Running Tandem as a systemd user service on the home device."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import TandemError

UNIT_NAME = "tandem.service"


@dataclass(frozen=True)
class ServicePlan:
    unit_path: Path
    text: str


def unit_text(python: str, home: Path, workdir: Path) -> str:
    """The unit: start at login/boot, restart on failure, log to the journal."""
    return f"""[Unit]
Description=Tandem, the couple's offline voice companion
Documentation=file://{workdir}/README.md
# Audio servers are user services too; start after them when they exist.
After=pipewire.service pulseaudio.service sound.target
Wants=sound.target

[Service]
Type=simple
Environment=TANDEM_HOME={home}
Environment=PYTHONUNBUFFERED=1
WorkingDirectory={workdir}
ExecStart={python} -m assistant run --service
Restart=on-failure
RestartSec=5
# A device that keeps failing is retried by Tandem itself with back-off;
# systemd only restarts a process that died.
StartLimitIntervalSec=0
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=default.target
"""


def plan(home: Path, config_home: Path | None = None) -> ServicePlan:
    config_home = config_home or Path.home() / ".config"
    workdir = Path(__file__).resolve().parents[2]
    return ServicePlan(config_home / "systemd" / "user" / UNIT_NAME, unit_text(sys.executable, home, workdir))


def install(p: ServicePlan, enable: bool = True) -> list[str]:
    """Write the unit and, where systemd is there, enable and start it. Returns what was done."""
    p.unit_path.parent.mkdir(parents=True, exist_ok=True)
    p.unit_path.write_text(p.text, encoding="utf-8")
    done = [f"wrote {p.unit_path}"]
    if not enable:
        return done
    if shutil.which("systemctl") is None:
        raise TandemError(f"wrote {p.unit_path}, but systemctl is not here; start 'tandem run' another way")
    for args in (["daemon-reload"], ["enable", "--now", UNIT_NAME]):
        r = subprocess.run(["systemctl", "--user", *args], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            said = (r.stderr or r.stdout).strip()
            raise TandemError(f"wrote {p.unit_path}, but 'systemctl --user {' '.join(args)}' failed: "
                              f"{said.splitlines()[-1] if said else r.returncode}")
        done.append(f"systemctl --user {' '.join(args)}")
    done.append("to start at boot before anyone logs in, run once: sudo loginctl enable-linger $USER")
    return done


def status(p: ServicePlan) -> str:
    if not p.unit_path.exists():
        return "not installed (run 'tandem service install')"
    if shutil.which("systemctl") is None:
        return f"installed at {p.unit_path}; systemctl is not available to ask whether it runs"
    r = subprocess.run(["systemctl", "--user", "is-active", UNIT_NAME], capture_output=True, text=True, timeout=30)
    state = (r.stdout or r.stderr).strip() or "unknown"
    return f"installed at {p.unit_path}; {state}"
