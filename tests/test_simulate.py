"""`winback simulate` as docs/scenarios.md specifies it."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from winback_local.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo" / "scenario.json"


def test_the_demo_scenario_writes_timeline_outbox_and_report(tmp_path: Path, capsys) -> None:
    assert main(["simulate", str(DEMO), "--out", str(tmp_path)]) == 0
    timeline = [json.loads(line) for line in (tmp_path / "timeline.jsonl").read_text().splitlines()]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    sent = [e for e in timeline if e["type"] == "email.sent"]
    emls = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(emls) == len(sent) == 11  # c-51 is in the cart campaign's holdout
    for entry in sent:
        message = email.message_from_bytes((tmp_path / entry["eml"]).read_bytes(), policy=email.policy.default)
        assert message["To"] == entry["to"] and message["Subject"] == entry["subject"]
        assert {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html"}
    checks = [(e["contact_id"], e["valid"]) for e in timeline if e["type"] == "coupon.checked"]
    assert checks == [("c-42", True), ("c-43", False), ("c-42", False), ("c-50", True)]
    carts = [(e["contact_id"], e["step"], e.get("coupon_code")) for e in sent if e["template"] == "abandoned_cart"]
    assert carts == [("c-50", 1, None), ("c-50", 2, None), ("c-50", 3, "FREESHIP")]
    [held] = [e for e in timeline if e["type"] == "email.held_out"]
    assert (held["contact_id"], held["campaign"]) == ("c-51", "abandoned-cart")
    assert sum(1 for e in sent if e["template"] == "order_confirmation") == 4  # one per paid order
    [rejected] = [e for e in timeline if e["type"] == "event.rejected"]
    assert rejected["event_id"] == "evt-bad-1" and "contact.email" in rejected["reason"]

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["orders_recovered"] == 1 and report["revenue_recovered"] == {"EUR": "29.00"}
    assert report["emails_sent"] == 11 and report["emails_skipped"] == {"no_consent": 1}
    # c-51 bought without an email (held out): the comparison, not a cart won back
    assert report["carts_abandoned"] == 2 and report["carts_recovered"] == 0
    assert report["measurement"]["abandoned-cart"]["holdout"]["n"] == [1, 1]
    assert report["variants"] == {"abandoned-cart/question": {"sent": 1, "converted": 0}}
    out = capsys.readouterr().out
    assert "orders recovered    1" in out and "outbox" in out


def test_an_invalid_scenario_exits_2_naming_the_field(tmp_path: Path, capsys) -> None:
    scenario = json.loads(DEMO.read_text())
    scenario["events"][3]["at"] = "yesterday"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(scenario))
    assert main(["simulate", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "events[3].at" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_scenario_with_a_bad_campaign_exits_2(tmp_path: Path, capsys) -> None:
    scenario = {
        "start": "2026-03-02T09:00:00Z",
        "until": "2026-03-02T10:00:00Z",
        "campaigns": [{"id": "x", "list": "l", "delay_minutes": 1, "coupon": {"code": "ABCD", "percent_off": 5}}],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario))
    assert main(["simulate", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "delay_minutes is 1" in capsys.readouterr().err


def test_without_campaigns_the_documented_defaults_apply(tmp_path: Path) -> None:
    scenario = json.loads(DEMO.read_text())
    del scenario["campaigns"]
    scenario["catalogue"] = str(ROOT / "examples" / "catalogue.yaml")  # an absolute path works too
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario))
    assert main(["simulate", str(path), "--out", str(tmp_path / "out")]) == 0
    timeline = (tmp_path / "out" / "timeline.jsonl").read_text()
    assert '"campaign": "unpaid-order-default"' in timeline


def _one_unpaid_order(tmp_path: Path, template: str) -> Path:
    """A scenario of one order nobody pays, with a campaign naming `template`."""
    detail = {
        "order_id": "o-1",
        "offer_id": "course",
        "contact": {"id": "c-1", "email": "c-1@example.com", "marketing_consent": True},
        "items": [{"sku": "s", "name": "Course", "unit_price": "50.00", "quantity": 1}],
        "currency": "EUR",
        "total": "50.00",
        "pay_url": "https://shop.example.com/pay/o-1",
    }
    campaign = {"id": "x", "list": "l", "template": template, "coupon": {"code": "ABCD", "percent_off": 5}}
    scenario = {
        "start": "2026-03-02T09:00:00Z",
        "until": "2026-03-02T10:00:00Z",
        "campaigns": [campaign],
        "events": [{"at": "2026-03-02T09:00:00Z", "detail-type": "Order Created", "detail": detail}],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario))
    return path


def test_a_campaign_naming_a_template_that_does_not_exist_is_refused_before_running(tmp_path: Path, capsys) -> None:
    path = _one_unpaid_order(tmp_path, "unpaid_order_cupon")
    assert main(["simulate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "campaign x: unpaid_order_coupon in en: template 'unpaid_order_cupon/subject.txt' does not exist" in err
    assert not (tmp_path / "out").exists()


def test_a_failed_flow_shows_in_the_summary_and_the_exit_code(tmp_path: Path, capsys, monkeypatch) -> None:
    """Should a step fail anyway (here: a template of another flow, let past the check),
    the run says so first and exits 1, and nothing else is printed to stderr."""
    monkeypatch.setattr("winback_local.preview.problems", lambda campaign, currencies=(): [])
    path = _one_unpaid_order(tmp_path, "abandoned_cart")
    assert main(["simulate", str(path), "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "flows failed        1" in captured.out
    assert "'step' is undefined" in captured.out
    assert captured.err == ""  # no library noise
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["flows_failed"] == 1 and "step" in report["failures"][0]
