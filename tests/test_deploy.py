"""The deployment files work as shipped: every systemd unit passes `systemd-analyze verify` (with the
install folder pointed at this checkout, whose .venv has the commands they run) and is hardened the
usual way; the crontab runs a command that exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
INSTALLED = "/srv/dddn-archive"
UNITS = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))
SERVICES = [p for p in UNITS if p.suffix == ".service"]
HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes")


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: install the Debian package systemd")
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(ROOT)))
    done = subprocess.run([analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.name)
def test_each_service_runs_unprivileged_and_hardened(unit: Path) -> None:
    text = unit.read_text()
    assert re.search(r"^User=dddn$", text, re.M) and re.search(rf"^WorkingDirectory={INSTALLED}$", text, re.M)
    assert re.search(r"^EnvironmentFile=/etc/dddn-archive/archive.env$", text, re.M)
    for line in HARDENING:
        assert re.search(rf"^{line}$", text, re.M), line


def test_each_timer_starts_a_service_that_is_shipped() -> None:
    for timer in (p for p in UNITS if p.suffix == ".timer"):
        assert (DEPLOY / timer.name.replace(".timer", ".service")).exists()


def test_the_environment_file_names_only_settings_that_exist() -> None:
    from tests.test_docs import PROJECT_SETTINGS, SOURCES

    names = re.findall(r"^([A-Z_]+)=", (DEPLOY / "archive.env").read_text(), re.M)
    assert names and all(n in PROJECT_SETTINGS or f'"{n}"' in SOURCES for n in names)


def test_the_crontab_runs_the_crawl_from_the_install_folder() -> None:
    line = next(line for line in (DEPLOY / "crontab").read_text().splitlines() if line.startswith("*/"))
    assert f"cd {INSTALLED}" in line and ".venv/bin/scrapy crawl dddn" in line
    assert (ROOT / ".venv/bin/scrapy").exists()
