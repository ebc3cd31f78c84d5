"""HMPPS domain events viewer: a live, schema-aware view of SNS/SQS event traffic."""

__version__ = "0.1.0"
