"""A full simulation with the cloud log sink on: no email address and no name in any log line."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from winback.aws import journal
from winback.aws.observe import logger
from winback_local.cli import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo" / "scenario.json"


def _people() -> set[str]:
    found: set[str] = set()
    for event in json.loads(DEMO.read_text())["events"]:
        contact = event["detail"].get("contact") if isinstance(event["detail"], dict) else None
        if isinstance(contact, dict):
            found |= {str(contact[k]) for k in ("email", "first_name") if contact.get(k)}
    return found


def _leaked(tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> list[str]:
    """Run the demo with every journal entry also going through the sink used on AWS,
    and return the emails and names found in what was logged."""
    use = journal.use
    lines = io.StringIO()  # Powertools' JSON lines at INFO, the functions' default level
    handler = logging.StreamHandler(lines)
    handler.setFormatter(logger.registered_formatter)
    level = logger.log_level
    logger.setLevel("INFO")
    logger.addHandler(handler)
    caplog.set_level(logging.INFO)  # every other logger
    journal.use = lambda sink: use(lambda entry: (sink(entry), journal._cloud_sink(entry)))  # type: ignore[assignment]
    try:
        assert main(["simulate", str(DEMO), "--out", str(tmp_path)]) == 0
    finally:
        journal.use = use  # type: ignore[assignment]
        logger.setLevel(level)
        logger.removeHandler(handler)
    captured = capfd.readouterr()
    logs = lines.getvalue() + captured.out + captured.err + caplog.text
    assert '"message":"email.sent"' in logs.replace(" ", "")  # the AWS log lines were written
    return sorted(p for p in _people() if re.search(rf"(?<![\w@.]){re.escape(p)}(?![\w@])", logs))


def test_a_full_simulation_logs_no_email_address_or_name(tmp_path, capfd, caplog) -> None:
    assert len(_people()) >= 10
    assert _leaked(tmp_path, capfd, caplog) == []


def test_the_scan_finds_personal_data_when_the_journal_stops_filtering_it(tmp_path, capfd, caplog, monkeypatch) -> None:
    monkeypatch.setattr(journal, "PERSONAL_FIELDS", frozenset())
    assert any("@" in found for found in _leaked(tmp_path, capfd, caplog))
