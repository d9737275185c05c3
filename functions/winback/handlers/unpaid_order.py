"""The tasks of the unpaid-order recovery state machine."""

from pydantic import BaseModel

from winback.domain import recovery
from winback.handlers.flow_task import flow_task


class OrderStep(BaseModel):
    """What every task of the flow receives from its state machine."""

    order_id: str
    campaign_id: str
    execution: str


class ReminderStep(OrderStep):
    with_coupon: bool = True  # False when the cool-down withheld the coupon


remind = flow_task(recovery.remind_if_unpaid, OrderStep)
# Executions started before the offer and its email became one step still call this one.
send_coupon_email = flow_task(recovery.send_coupon_email, ReminderStep)
end_coupon_eligibility = flow_task(recovery.end_coupon_eligibility, OrderStep)
