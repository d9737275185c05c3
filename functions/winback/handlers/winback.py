"""The task of the win-back state machine: entry check, then the offer (by `step`)."""

from typing import Any, Literal

from pydantic import BaseModel

from winback.domain import winback
from winback.handlers.flow_task import flow_task


class WinBackStep(BaseModel):
    step: Literal["enter", "offer"]
    execution: str
    contact_id: str
    segment: str = ""
    day: str = ""
    campaign_id: str = ""
    send_id: str = ""


def run(step: str, execution: str, contact_id: str, segment: str, day: str, campaign_id: str, send_id: str) -> Any:
    if step == "enter":
        return winback.enter(contact_id, segment, day, execution)
    return winback.offer(campaign_id, contact_id, send_id, execution)


handler = flow_task(run, WinBackStep)
