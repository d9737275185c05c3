"""The tasks of the post-purchase state machine."""

from pydantic import BaseModel

from winback.domain import purchases
from winback.handlers.flow_task import flow_task


class PurchaseStep(BaseModel):
    order_id: str
    campaign_id: str
    execution: str
    first_purchase: bool


send_confirmation = flow_task(purchases.send_confirmation, PurchaseStep)
send_second_purchase = flow_task(purchases.send_second_purchase, PurchaseStep)
