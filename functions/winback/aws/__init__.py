"""The adapters to AWS: DynamoDB tables (pynamodb), SES, Step Functions, SQS, logs and metrics."""
