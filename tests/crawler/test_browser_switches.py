"""The browser is launched with the switches the settings mean. Chromium keeps only the last of a switch
given twice, and Playwright writes its own before ours, so every switch we share with Playwright must
carry Playwright's values as well as ours: read back from the running browser's command line."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from crawler import settings
from tests.bench.harness import tree


async def browser_command_line(executable: str) -> list[str]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**{**settings.PLAYWRIGHT_LAUNCH_OPTIONS,
                                                      "executable_path": executable})
        try:
            for pid in tree(os.getpid()):
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
                if "--remote-debugging-pipe" in argv and not any(a.startswith("--type=") for a in argv):
                    return argv
        finally:
            await browser.close()
    raise AssertionError("no browser process found")


def values(argv: list[str], switch: str) -> list[list[str]]:
    """Each occurrence of --switch=a,b,c on the command line, in order, as its list of values."""
    return [arg.split("=", 1)[1].split(",") for arg in argv if arg.startswith(f"--{switch}=")]


@pytest.mark.browser
def test_the_last_of_each_shared_switch_keeps_playwrights_values_and_adds_ours(chromium_path: str) -> None:
    argv = asyncio.run(browser_command_line(chromium_path))
    for switch, ours in settings.OUR_SWITCHES.items():
        given = values(argv, switch)
        assert given, f"--{switch} is on the command line"
        effective, earlier = set(given[-1]), {value for occurrence in given[:-1] for value in occurrence}
        assert earlier <= effective, f"--{switch}: Playwright's {sorted(earlier - effective)} would be dropped"
        assert set(ours) <= effective
