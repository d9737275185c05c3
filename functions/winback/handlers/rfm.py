"""The task of the daily RFM state machine: one function, four steps (by `step`)."""

from typing import Any, Literal

from pydantic import BaseModel

from winback.domain import segments
from winback.handlers.flow_task import flow_task


class RfmStep(BaseModel):
    step: Literal["measure", "cut", "score", "finish"]
    day: str
    parts: int = 16
    part: int = 0
    baseline: bool = False
    contacts: int = 0
    results: list[dict[str, Any]] = []


def run(step: str, day: str, parts: int, part: int, baseline: bool, contacts: int, results: list) -> dict[str, Any]:
    if step == "measure":
        return segments.measure(day, part, parts)
    if step == "cut":
        return segments.cut(day, parts)
    if step == "score":
        return segments.score(day, part, parts, baseline)
    return segments.finish(day, baseline, contacts, [r.get("result", r) for r in results])


handler = flow_task(run, RfmStep)
