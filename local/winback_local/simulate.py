"""`winback simulate SCENARIO --out DIR`: replay a scenario on the local runtime.

The contract is docs/scenarios.md: timeline.jsonl, outbox/*.eml and
report.json in DIR; exit 0 on a completed run, 2 naming the field of a scenario
that is not valid.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from winback.domain import catalogue as products
from winback.model import clock
from winback.model.campaigns import Campaign, default_campaigns, load_campaigns, parse_campaigns
from winback_local.baseline import Baseline, Shoppers
from winback_local.measure import measurement
from winback_local.progress import Progress
from winback_local.replay import Webhook, replay_webhook, use_secrets
from winback_local.runtime import LocalRuntime
from winback_local.summary import summary
from winback_local.timeline import line


class ScenarioError(ValueError):
    """A scenario that cannot be replayed; the message names the field."""


class ScenarioEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    at: AwareDatetime
    detail_type: str = Field(alias="detail-type", min_length=1)
    detail: Any
    id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    source: str | None = None


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime
    coupon: Annotated[str, Field(min_length=1)]
    contact_id: Annotated[str, Field(min_length=1)]
    offer_id: Annotated[str, Field(min_length=1)]
    price: Decimal | None = None


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: AwareDatetime
    until: AwareDatetime
    campaigns: str | list[Any] | dict[str, Any] | None = None
    # The product catalogue the confirmation email recommends from: a path relative
    # to the scenario file, or inline; left out, no recommendations.
    catalogue: str | dict[str, Any] | None = None
    events: list[ScenarioEvent] = []
    webhooks: list[Webhook] = []
    # The platforms' webhook secrets to verify `webhooks` with (a real shop's, to replay
    # its deliveries); left out, the local ones that sign examples/webhooks/.
    connector_secrets: dict[str, list[str]] | None = None
    checks: list[Check] = []
    # Past orders, imported before the run as `winback history import` does: a CSV path
    # relative to the scenario file (docs/history.md).
    history: str | None = None
    # Shoppers who buy on their own (and a little more after an email): docs/scenarios.md.
    baseline: Baseline | None = None
    # Unique codes per campaign pool: how many to generate, or a file of codes.
    coupon_pools: dict[str, int | str] = {}

    @model_validator(mode="after")
    def _within(self) -> Scenario:
        if self.until <= self.start:
            raise ValueError("until: must be after start")
        moments = [("events", i, e.at) for i, e in enumerate(self.events)]
        moments += [("checks", i, c.at) for i, c in enumerate(self.checks)]
        moments += [("webhooks", i, w.at) for i, w in enumerate(self.webhooks)]
        for kind, index, moment in moments:
            if not self.start <= moment <= self.until:
                raise ValueError(f"{kind}[{index}].at: {clock.iso(moment)} is outside start..until")
        return self


def load(path: Path) -> tuple[Scenario, list[Campaign]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ScenarioError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno})") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(".[", "[")
        message = first["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{path}: {where + ': ' if where else ''}{message}") from None
    try:
        if scenario.campaigns is None:
            campaigns = default_campaigns()
        elif isinstance(scenario.campaigns, str):
            campaigns = load_campaigns(path.parent / scenario.campaigns)
        else:
            campaigns = parse_campaigns(scenario.campaigns, f"{path}: campaigns")
        if scenario.history is not None:
            scenario.history = str(path.parent / scenario.history)
        for index, hook in enumerate(scenario.webhooks):
            if hook.file is not None:
                hook.file = str(path.parent.resolve() / hook.file)
                if not Path(hook.file).is_file():
                    raise ValueError(f"{path}: webhooks[{index}].file: no file {hook.file}")
        scenario.coupon_pools = {
            pool: str(path.parent / source) if isinstance(source, str) else source
            for pool, source in scenario.coupon_pools.items()
        }
        if isinstance(scenario.catalogue, str):
            scenario.catalogue = products.load_catalogue(path.parent / scenario.catalogue).model_dump(mode="json")
        elif scenario.catalogue is not None:
            products.parse_catalogue(scenario.catalogue, f"{path}: catalogue")
    except ValueError as error:
        raise ScenarioError(str(error)) from None
    return scenario, campaigns


class Simulation:
    def __init__(self, scenario: Scenario, campaigns: list[Campaign], progress: Progress | None = None):
        self.scenario = scenario
        self.campaigns = campaigns
        self.progress = progress
        self.delivered = 0
        self.secrets = scenario.connector_secrets

    def _emailed_code(self, runtime: LocalRuntime, contact_id: str) -> str | None:
        sent = [
            e
            for e in runtime.timeline
            if e["type"] == "email.sent" and e["contact_id"] == contact_id and e.get("coupon_code")
        ]
        return sent[-1]["coupon_code"] if sent else None

    def _price(self, check: Check) -> Decimal:
        if check.price is not None:
            return check.price
        totals = [
            e.detail.get("total")
            for e in self.scenario.events
            if e.detail_type == "Order Created"
            and isinstance(e.detail, dict)
            and e.at <= check.at
            and e.detail.get("offer_id") == check.offer_id
            and (e.detail.get("contact") or {}).get("id") == check.contact_id
        ]
        return Decimal(str(totals[-1])) if totals and totals[-1] is not None else Decimal("0")

    def _check(self, runtime: LocalRuntime, check: Check) -> None:
        code: str | None = check.coupon
        if check.coupon.startswith("@emailed"):
            owner = check.coupon.partition(":")[2] or check.contact_id
            code = self._emailed_code(runtime, owner)
        if not code:
            runtime.timeline.append(
                {
                    "at": clock.iso(runtime.clock.now()),
                    "type": "coupon.checked",
                    "code": None,
                    "contact_id": check.contact_id,
                    "offer_id": check.offer_id,
                    "valid": False,
                    "reason": "no_coupon_emailed",
                }
            )
            return
        runtime.call_api(
            "POST",
            "/coupons/validate",
            {
                "code": code,
                "contact_id": check.contact_id,
                "offer_id": check.offer_id,
                "price": str(self._price(check)),
            },
        )

    def _schedule(self, runtime: LocalRuntime) -> None:
        by_time: dict[datetime, list[ScenarioEvent]] = defaultdict(list)
        for event in self.scenario.events:
            by_time[event.at].append(event)
        for moment in sorted(by_time):
            group = by_time[moment]

            def deliver(group: list[ScenarioEvent] = group) -> None:
                envelopes = [runtime.envelope(e.detail_type, e.detail, e.id, e.source) for e in group]
                runtime.put_events(envelopes)
                self.delivered += len(group)

            runtime.clock.call_at(moment, deliver)
        for hook in self.scenario.webhooks:

            def post(hook: Webhook = hook) -> None:
                replay_webhook(runtime, hook, self.secrets)
                self.delivered += 1

            runtime.clock.call_at(hook.at, post)
        for check in self.scenario.checks:

            def ask(check: Check = check) -> None:
                self._check(runtime, check)

            runtime.clock.call_at(check.at, ask)

    def _prepare(self, out: Path) -> None:
        """Past orders and coupon pools, as the merchant loads them before going live."""
        from winback.domain import pools
        from winback_local.history_import import import_file

        if self.scenario.history:
            out.mkdir(parents=True, exist_ok=True)
            import_file(Path(self.scenario.history), out / "history.rejects.csv")
        for pool, source in self.scenario.coupon_pools.items():
            if isinstance(source, int):
                codes = [pools.generate_code() for _ in range(source)]
            else:
                codes = pools.check_codes(Path(source).read_text(encoding="utf-8").splitlines())
            pools.add_codes(pool, codes)

    def run(self, out: Path) -> dict[str, Any]:
        daily = self.scenario.history is not None or any(c.enabled and c.flow == "winback" for c in self.campaigns)
        with LocalRuntime(self.scenario.start, self.campaigns, daily_jobs=daily) as runtime:
            if isinstance(self.scenario.catalogue, dict):
                products.apply(products.parse_catalogue(self.scenario.catalogue))
            self._prepare(out)
            if self.secrets is not None:
                use_secrets(runtime, self.secrets)
            if self.scenario.baseline is not None:
                Shoppers(runtime, self.scenario.baseline).install()
            self._schedule(runtime)
            steps = 200 if self.progress else 1  # virtual-time slices: the bar moves between them
            span = self.scenario.until - self.scenario.start
            sent, seen = 0, 0  # emails so far, and the timeline entries they were counted from
            for step in range(1, steps + 1):
                runtime.run_until(self.scenario.start + span * step / steps)
                if self.progress:
                    sent += sum(1 for e in runtime.timeline[seen:] if e["type"] == "email.sent")
                    seen = len(runtime.timeline)
                    moment = clock.iso(runtime.clock.now())
                    self.progress.update(step / steps, moment, self.delivered, sent)
            if self.progress:
                self.progress.close()
            failed = runtime.failures
            paid = [(e.at, e.detail.get("contact_id")) for e in self.scenario.events if e.detail_type == "Order Paid"]
            return write(out, runtime.timeline, runtime.outbox, len(self.scenario.events), failed, paid)


def _eml_name(index: int, entry: dict[str, Any]) -> str:
    who = re.sub(r"[^A-Za-z0-9_-]", "_", str(entry.get("contact_id", "contact")))[:40]
    return f"{index:05d}-{who}-{entry.get('template', 'email')}.eml"


def write(
    out: Path,
    timeline: Sequence[dict[str, Any]],
    outbox: Sequence[bytes],
    events_in: int,
    failed: list[str],
    paid: list[tuple[datetime, Any]] | None = None,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    mail_dir = out / "outbox"
    mail_dir.mkdir(exist_ok=True)
    for old in mail_dir.glob("*.eml"):
        old.unlink()
    entries = in_time_order(timeline)
    sent = 0
    messages = iter(outbox)
    with (out / "timeline.jsonl").open("w", encoding="utf-8") as handle:
        for entry in entries:  # each email sent paired with the message SES accepted, in order
            raw = next(messages, None) if entry["type"] == "email.sent" else None
            if raw is not None:
                sent += 1
                entry["eml"] = f"outbox/{_eml_name(sent, entry)}"
                (out / entry["eml"]).write_bytes(raw)
            handle.write(line(entry) + "\n")
    report = funnel(entries, events_in, failed)
    report["winback"] = winback_funnel(entries, paid or [])
    report["measurement"] = measurement(entries)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def in_time_order(timeline: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """The timeline by time, as recorded when that is already so (the virtual clock only
    goes forward): read again on each pass rather than held in memory whole."""
    ats = (e["at"] for e in timeline)
    if all(a <= b for a, b in itertools.pairwise(ats)):
        return timeline
    return sorted(timeline, key=lambda e: e["at"])


def funnel(entries: Sequence[dict[str, Any]], events_in: int, failed: list[str]) -> dict[str, Any]:
    """The report: what came in, what the flows did, what it brought back. Flows
    still waiting at `until` are those started and neither ended nor failed."""
    kinds = Counter(e["type"] for e in entries)
    # Counted at payment, owed to an email sent (not a held-out one), past the minimum gap.
    owed = [e for e in entries if e["type"] == "order.attributed" and not e["held_out"]]
    recovered = [e for e in owed if e["outcome"] == "recovered"]
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for entry in recovered:
        revenue[entry["currency"]] += Decimal(entry["revenue"])
    return {
        "events_in": events_in,
        "events_rejected": kinds["event.rejected"],
        "webhooks_in": kinds["webhook.received"] + kinds["webhook.unauthorized"],
        "webhooks_unauthorized": kinds["webhook.unauthorized"],
        "orders": len({e["order_id"] for e in entries if e["type"] == "order.seen"}),
        "flows_started": kinds["flow.started"],
        "flows_ended": dict(Counter(e["outcome"] for e in entries if e["type"] == "flow.ended")),
        "flows_failed": len(failed),
        "failures": failed,
        "flows_still_waiting": kinds["flow.started"] - kinds["flow.ended"] - len(failed),
        "emails_sent": kinds["email.sent"],
        "emails_skipped": dict(Counter(e["reason"] for e in entries if e["type"] == "email.skipped")),
        "coupons_checked": kinds["coupon.checked"],
        "orders_recovered": len(recovered),
        "orders_under_way": sum(1 for e in owed if e["outcome"] == "under_way"),
        "revenue_recovered": {currency: str(amount) for currency, amount in sorted(revenue.items())},
        "recovered_by_flow": dict(Counter(e["flow"] for e in recovered)),
        "carts_abandoned": sum(1 for e in entries if e["type"] == "flow.started" and e.get("flow") == "abandoned_cart"),
        "carts_recovered": sum(1 for e in recovered if e["flow"] == "abandoned_cart"),
        "variants": variants(entries),
    }


CART_WON = ("bought", "ordered")


def winback_funnel(entries: Sequence[dict[str, Any]], paid: list[tuple[datetime, Any]]) -> dict[str, Any]:
    """The win-back flow: who entered the segment and was taken, emailed, and came back
    (paid an order after the email); why the others got nothing."""
    ours = [e for e in entries if e.get("flow") == "winback" or e.get("template") == "winback_coupon"]
    emailed = {e["contact_id"]: e["at"] for e in ours if e["type"] == "email.sent"}
    came_back = {who for when, who in paid if who in emailed and clock.iso(when) > emailed[who]}
    campaigns = {e["campaign"] for e in ours if e["type"] == "flow.started"}
    return {
        "segment_entries": sum(1 for e in entries if e["type"] == "segment.entered"),
        "flows_started": sum(1 for e in ours if e["type"] == "flow.started"),
        "bought_during_wait": sum(1 for e in ours if e["type"] == "flow.ended" and e["outcome"] == "bought"),
        "emailed": len(emailed),
        "came_back": len(came_back),
        "skipped": dict(
            Counter(e["reason"] for e in entries if e["type"] == "email.skipped" and e.get("campaign") in campaigns)
        ),
        "pool_empty": sum(1 for e in entries if e["type"] == "coupon.pool_empty"),
    }


def variants(entries: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per A/B variant ("campaign/variant"): contacts emailed and carts won back
    after it, so the subjects can be compared."""
    last_variant: dict[str, str] = {}
    found: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "converted": 0})
    for entry in entries:
        if entry["type"] == "email.sent" and entry.get("variant"):
            key = f"{entry['campaign']}/{entry['variant']}"
            found[key]["sent"] += 1
            last_variant[str(entry.get("cart_id") or entry.get("order_id"))] = key
        elif (
            entry["type"] == "flow.ended" and entry.get("outcome") in CART_WON and entry.get("cart_id") in last_variant
        ):
            found[last_variant[entry["cart_id"]]]["converted"] += 1
    return dict(sorted(found.items()))


def main(scenario_path: str, out: str, progress: bool | None = None) -> int:
    """Exit 0: the scenario ran and every flow step succeeded; 1: it ran but a flow
    failed (the summary names it); 2: the scenario or its campaigns cannot run."""
    from winback_local.preview import problems

    try:
        scenario, campaigns = load(Path(scenario_path))
    except ScenarioError as error:
        print(f"winback simulate: {error}", file=sys.stderr)
        return 2
    found = [f"campaign {c.id}: {problem}" for c in campaigns if c.enabled for problem in problems(c)]
    if found:
        print("\n".join(f"winback simulate: {problem}" for problem in found), file=sys.stderr)
        return 2
    terminal = sys.stderr.isatty()
    show = progress if progress is not None else terminal
    bar = Progress(sys.stderr, bar=terminal, total_events=len(scenario.events)) if show else None
    report = Simulation(scenario, campaigns, bar).run(Path(out))
    print(summary(report, Path(out)))
    return 1 if report["flows_failed"] else 0
