"""The daily RFM job, the steps of infra/statemachines/daily_rfm.asl.json.

1. `measure` (one Lambda per part of the Customers table, in parallel: a parallel scan):
   each contact's R, F and M today, counted into histograms stored per part.
2. `cut`: the parts' histograms merged into the day's score thresholds (model/rfm.py),
   stored, so a second run the same day scores exactly as the first.
3. `score` (per part, in parallel): each contact's scores and segment; only contacts whose
   scores changed are written, with the segment before, the day it changed and why. A
   contact entering a segment is announced on the bus as "Contact Segment Entered",
   naming the win-back campaign that watches the segment if one does (the flow's rule
   hears only those). Announced before the write, so a run that dies between the two
   announces it again the next time instead of never: the win-back flow ignores the
   duplicate.
4. `finish`: the counts, recorded; the baseline marker cleared.

Idempotent: the write is conditional on the day, and an unchanged contact is not
written, so running twice changes nothing and announces nothing twice. The first run
ever, and the first after a history import, is a baseline: segments are set, nobody
"enters" one (otherwise every imported customer would be mailed at once).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from winback.aws import bus, campaign_store, journal
from winback.aws.errors import TransientError
from winback.aws.store import CustomerRecord, RfmRun, condition_failed, find
from winback.domain import history
from winback.model import clock
from winback.model.campaigns import winback_for
from winback.model.rfm import Cuts, Histograms, Raw, cause, raw, segment_of

ENTERED = "Contact Segment Entered"
KEEP_DAYS = 7


def _monetary() -> str:
    return "total" if os.environ.get("RFM_MONETARY", "average") == "total" else "average"


def _contacts(part: int, parts: int) -> Any:
    return CustomerRecord.scan(segment=part, total_segments=parts)


def _expiry() -> Any:
    return clock.now() + timedelta(days=KEEP_DAYS)


def measure(day: str, part: int, parts: int) -> dict[str, Any]:
    today = date.fromisoformat(day)
    counts = Histograms.empty()
    for customer in _contacts(part, parts):
        value = raw(history.purchases(customer), today, _monetary())
        if value is not None:
            counts.add(value)
    RfmRun(day, f"measure#{part}", data=counts.as_json(), expires_at=_expiry()).save()
    return {"part": part, "contacts": counts.contacts}


def mark_baseline() -> None:
    """The next run sets segments without announcing entries (after a history import)."""
    RfmRun("baseline", "pending").save()


def cut(day: str, parts: int) -> dict[str, Any]:
    stored = find(RfmRun, day, "cuts")
    if stored is None:
        merged = Histograms.empty()
        measured = list(RfmRun.query(day, RfmRun.part.startswith("measure#")))
        if len(measured) != parts:
            raise TransientError(f"{len(measured)} of {parts} parts measured for {day}")
        for part in measured:
            merged.merge(Histograms.from_json(part.data))
        data = {"cuts": Cuts.of(merged).as_json() if merged.contacts else None, "contacts": merged.contacts}
        try:
            RfmRun(day, "cuts", data=data, expires_at=_expiry()).save(condition=RfmRun.part.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise
        stored = find(RfmRun, day, "cuts")
        assert stored is not None
    first_ever = find(RfmRun, "runs", "last") is None
    baseline = first_ever or find(RfmRun, "baseline", "pending") is not None
    return {"day": day, "baseline": baseline, "contacts": stored.data["contacts"], "parts": parts}


def _stored_raw(customer: CustomerRecord) -> Raw | None:
    data = customer.rfm_raw
    return Raw(data["r"], data["f"], data["m"]) if data else None


def score(day: str, part: int, parts: int, baseline: bool) -> dict[str, Any]:
    today = date.fromisoformat(day)
    run = find(RfmRun, day, "cuts")
    if run is None or run.data["cuts"] is None:
        return {"part": part, "changed": 0, "entered": 0}
    cuts = Cuts.from_json(run.data["cuts"])
    campaigns = campaign_store.all_campaigns()
    changed: list[tuple[CustomerRecord, dict[str, Any]]] = []
    announced: list[dict[str, Any]] = []
    counts = {"part": part, "changed": 0, "entered": 0}
    for customer in _contacts(part, parts):
        value = raw(history.purchases(customer), today, _monetary())
        scores = cuts.score(value) if value is not None else None
        segment = segment_of(*scores) if scores else None
        code = "".join(map(str, scores)) if scores else None
        if segment == customer.segment and code == customer.rfm_scores:
            continue
        why = cause(_stored_raw(customer), value) if value is not None else "lapsed"
        update = {"segment": segment, "scores": code, "raw": value, "cause": why}
        changed.append((customer, update))
        if segment is not None and segment != customer.segment and not baseline:
            entry = {
                "contact_id": customer.contact_id,
                "from": customer.segment,
                "to": segment,
                "day": day,
                "scores": code,
                "cause": why,
            }
            campaign = winback_for(campaigns, segment)
            if campaign is not None:  # the win-back flow's rule hears only these
                entry["campaign_id"] = campaign.id
            announced.append(entry)
        if len(changed) >= bus.BATCH:
            _flush(day, changed, announced, counts)
    _flush(day, changed, announced, counts)
    return counts


def _flush(
    day: str, changed: list[tuple[CustomerRecord, dict[str, Any]]], announced: list[dict[str, Any]], counts: dict
) -> None:
    if announced:
        bus.put(ENTERED, announced)
        counts["entered"] += len(announced)
    for customer, update in changed:
        if _write(customer, day, update):
            counts["changed"] += 1
    changed.clear()
    announced.clear()


def _write(customer: CustomerRecord, day: str, update: dict[str, Any]) -> bool:
    value: Raw | None = update["raw"]
    actions: list[Any] = [
        CustomerRecord.rfm_scores.set(update["scores"]) if update["scores"] else CustomerRecord.rfm_scores.remove(),
        CustomerRecord.rfm_day.set(day),
        CustomerRecord.rfm_cause.set(update["cause"]),
    ]
    if value is not None:
        actions.append(CustomerRecord.rfm_raw.set({"r": value.recency_days, "f": value.frequency, "m": value.monetary}))
    if update["segment"] != customer.segment:
        actions += [
            CustomerRecord.segment.set(update["segment"]) if update["segment"] else CustomerRecord.segment.remove(),
            CustomerRecord.segment_since.set(day),
        ]
        if customer.segment:
            actions.append(CustomerRecord.previous_segment.set(customer.segment))
    try:
        customer.update(
            actions=actions,
            condition=CustomerRecord.rfm_day.does_not_exist() | (CustomerRecord.rfm_day != day),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False  # another run wrote it today
        raise
    return True


def finish(day: str, baseline: bool, contacts: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    changed = sum(r["changed"] for r in results)
    entered = sum(r["entered"] for r in results)
    RfmRun("runs", "last", data={"day": day}).save()
    if baseline:
        marker = find(RfmRun, "baseline", "pending")
        if marker is not None:
            marker.delete()
    journal.record("rfm.computed", day=day, contacts=contacts, changed=changed, entered=entered, baseline=baseline)
    return {"day": day, "contacts": contacts, "changed": changed, "entered": entered, "baseline": baseline}
