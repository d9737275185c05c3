"""The tasks of the abandoned-cart series state machine."""

from typing import Annotated

from pydantic import BaseModel, Field

from winback.domain import carts
from winback.handlers.flow_task import flow_task


class CartStep(BaseModel):
    cart_id: str
    campaign_id: str
    execution: str


class ReminderStep(CartStep):
    step: Annotated[int, Field(ge=1, le=3)]


send_reminder = flow_task(carts.remind, ReminderStep)
end_series = flow_task(carts.end_series, CartStep)
