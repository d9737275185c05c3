"""docs/events.schema.json is the contract the code validates: generated from the same
models, accepting what parse_event accepts and refusing what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from winback.model import clock
from winback.model.events import InvalidEvent, json_schema, parse_event

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "docs" / "events.schema.json"


def _demo_events() -> list[dict]:
    scenario = json.loads((ROOT / "examples" / "demo" / "scenario.json").read_text())
    return [
        {"id": f"e-{i}", "time": e["at"], "source": "shop", "detail-type": e["detail-type"], "detail": e["detail"]}
        for i, e in enumerate(scenario["events"])
    ]


def test_the_published_schema_is_the_one_the_code_generates() -> None:
    assert json.loads(PUBLISHED.read_text()) == json_schema(), "run `winback events schema > docs/events.schema.json`"
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_schema_and_parser_agree_on_every_demo_event(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 10, tzinfo=UTC))
    validator = jsonschema.Draft202012Validator(json_schema(), format_checker=jsonschema.FormatChecker())
    verdicts = set()
    for event in _demo_events():
        schema_ok = validator.is_valid(event)
        try:
            parse_event(event)
            parser_ok = True
        except InvalidEvent:
            parser_ok = False
        assert schema_ok == parser_ok, (event["detail-type"], event["detail"])
        verdicts.add(parser_ok)
    assert verdicts == {True, False}, "the demo has valid events and at least one invalid one"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("detail", "contact", "email"), "not-an-email"),
        (("detail", "total"), "-1.00"),
        (("detail", "currency"), "euro"),
        (("detail", "pay_url"), "javascript:alert(1)"),
        (("detail-type",), "Order Creatd"),
    ],
)
def test_both_refuse_the_same_broken_field(path: tuple[str, ...], value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 10, tzinfo=UTC))
    event = next(e for e in _demo_events() if e["detail-type"] == "Order Created")
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not jsonschema.Draft202012Validator(json_schema(), format_checker=jsonschema.FormatChecker()).is_valid(event)
    with pytest.raises(InvalidEvent):
        parse_event(event)
