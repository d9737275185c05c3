"""The Powertools Logger, Tracer and Metrics every handler shares."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "winback"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="winback", service=SERVICE)
