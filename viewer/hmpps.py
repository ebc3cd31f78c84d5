"""The HMPPS queue conventions (``HMPPS_SQS_*``, as hmpps-sqs reads them) -> queues and client.

``HMPPS_SQS_QUEUES_<ID>_QUEUE_NAME`` names a queue (labelled by its lower-cased ID),
``HMPPS_SQS_QUEUES_<ID>_DLQ_NAME`` its dead-letter queue, ``HMPPS_SQS_QUEUES_<ID>_
SUBSCRIBE_TOPIC_ID`` the topic it hears; ``HMPPS_SQS_TOPICS_<ID>_ARN`` names a topic.
``HMPPS_SQS_PROVIDER`` is ``aws`` (the standard credential chain, e.g. IRSA web identity)
or ``localstack`` (``HMPPS_SQS_LOCALSTACK_URL``, any credentials); ``HMPPS_SQS_REGION``
defaults to ``eu-west-2``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from viewer.sources.sqs import QueueRef

log = logging.getLogger(__name__)

PREFIX = "HMPPS_SQS_"
DEFAULT_REGION = "eu-west-2"
DEFAULT_LOCALSTACK_URL = "http://localhost:4566"
PROVIDERS = ("aws", "localstack")
# Only the members the viewer uses; hmpps-sqs has more (access keys, visibility...).
_QUEUE_KEY = re.compile(r"^HMPPS_SQS_QUEUES_([A-Z0-9_]+?)_"
                        r"(QUEUE_NAME|DLQ_NAME|SUBSCRIBE_TOPIC_ID)$")
_TOPIC_KEY = re.compile(r"^HMPPS_SQS_TOPICS_([A-Z0-9_]+?)_(ARN)$")
_MISSING_QUEUE_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


class HmppsConfigError(ValueError):
    """An HMPPS_SQS_* setting that cannot work; the message names the variable."""


@dataclass
class HmppsSqs:
    """What the HMPPS variables say: provider, region, endpoint, queues and topics."""

    provider: str = "aws"
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    queues: list[QueueRef] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)  # topic id -> ARN
    variables: dict[str, str] = field(default_factory=dict)  # queue label -> its variable

    @property
    def configured(self) -> bool:
        """Whether any HMPPS_SQS_* variable was set (else boto3's own chain decides)."""
        return bool(self.variables) or self.provider != "aws" or self.region != DEFAULT_REGION \
            or bool(self.topics)

    def client(self, service: str = "sqs", config: Any = None) -> Any:
        """A boto3 client for this provider and region."""
        import boto3

        kwargs: dict[str, Any] = {"region_name": self.region, "config": config}
        if self.provider == "localstack":
            # LocalStack accepts any credentials; hmpps-sqs sends static ones too.
            kwargs.update(endpoint_url=self.endpoint_url, aws_access_key_id="any",
                          aws_secret_access_key="any")  # noqa: S106 - not a secret
        return boto3.session.Session().client(service, **kwargs)

    def topic_label(self, arn: str) -> str | None:
        """The topic ID whose ARN this is (to label where a message came from)."""
        for topic_id, topic_arn in self.topics.items():
            if topic_arn == arn:
                return topic_id
        return None


def load(environ: Mapping[str, str]) -> HmppsSqs:
    """Read the ``HMPPS_SQS_*`` variables; HmppsConfigError names a bad or missing one."""
    found = {k: v.strip() for k, v in environ.items() if k.startswith(PREFIX)}
    provider = found.get(PREFIX + "PROVIDER", "aws").lower() or "aws"
    if provider not in PROVIDERS:
        raise HmppsConfigError(f"HMPPS_SQS_PROVIDER must be aws or localstack, got {provider!r}")
    out = HmppsSqs(provider=provider, region=found.get(PREFIX + "REGION") or DEFAULT_REGION)
    if provider == "localstack":
        out.endpoint_url = found.get(PREFIX + "LOCALSTACK_URL") or DEFAULT_LOCALSTACK_URL
    queues: dict[str, dict[str, str]] = {}
    for key, value in sorted(found.items()):
        if m := _TOPIC_KEY.match(key):
            if m.group(2) == "ARN":
                if not value.startswith("arn:"):
                    raise HmppsConfigError(f"{key} must be a topic ARN, got {value!r}")
                out.topics[m.group(1).lower()] = value
        elif m := _QUEUE_KEY.match(key):
            queues.setdefault(m.group(1), {})[m.group(2)] = value
    for queue_id, values in queues.items():
        var = f"{PREFIX}QUEUES_{queue_id}_QUEUE_NAME"
        if not values.get("QUEUE_NAME"):
            others = ", ".join(f"{PREFIX}QUEUES_{queue_id}_{k}" for k in values
                               if k != "QUEUE_NAME")
            raise HmppsConfigError(f"{var} is missing: queue {queue_id.lower()!r} is "
                                   f"configured ({others}) but has no queue name")
        topic = values.get("SUBSCRIBE_TOPIC_ID", "").lower() or None
        if topic is not None and topic not in out.topics:
            raise HmppsConfigError(
                f"{PREFIX}QUEUES_{queue_id}_SUBSCRIBE_TOPIC_ID names topic {topic!r}, but "
                f"{PREFIX}TOPICS_{topic.upper()}_ARN is not set")
        if topic is None and len(out.topics) == 1:
            topic = next(iter(out.topics))
        label = queue_id.lower()
        out.queues.append(QueueRef(label=label, name_or_url=values["QUEUE_NAME"],
                                   dlq=values.get("DLQ_NAME") or None, topic_label=topic))
        out.variables[label] = var
    return out


def check_queues(client: Any, queues: Iterable[QueueRef],
                 variables: Mapping[str, str] | None = None) -> dict[str, str]:
    """Resolve each queue's URL (and its DLQ's); a queue that does not exist is an error.

    An endpoint that cannot be reached is not: the consumer retries with backoff and
    reports DOWN meanwhile. Returns label -> URL for the queues it resolved.
    """
    urls: dict[str, str] = {}
    for queue in queues:
        named_by = (variables or {}).get(queue.label)
        for name, what in ((queue.name_or_url, "queue"), (queue.dlq, "dead-letter queue")):
            if not name or name.startswith(("http://", "https://")):
                continue
            try:
                url = client.get_queue_url(QueueName=name)["QueueUrl"]
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in _MISSING_QUEUE_CODES:
                    where = f" (set by {named_by})" if named_by else ""
                    raise HmppsConfigError(
                        f"{what} {name!r} of source {queue.label!r}{where} does not exist at "
                        f"{client.meta.endpoint_url}") from None
                log.warning("cannot check queue %s yet: %s", name, exc)
                continue
            except BotoCoreError as exc:
                log.warning("cannot check queue %s yet: %s", name, exc)
                continue
            if what == "queue":
                urls[queue.label] = url
    return urls
