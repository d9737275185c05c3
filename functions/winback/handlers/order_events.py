"""Order events from the EventBridge bus, through SQS, in batches.

Invalid events are rejected with a reason to the dead-letter queue and the batch goes
on; a record that fails for a reason a retry may fix is reported back to SQS alone.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from winback.aws.observe import logger, metrics, tracer
from winback.domain import orders

processor = BatchProcessor(event_type=EventType.SQS)


def _record(record: SQSRecord) -> str:
    return orders.ingest(record.body)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
