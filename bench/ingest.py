"""Figure 1: messages/s from the local SQS server into the buffer, fully validated, vs a bare
boto3 receive + delete_message_batch loop on the same endpoint at the same queue depth.

Each round fills a fresh queue with the same SNS notifications, then drains it; the two
sides alternate which goes first, so the local server's drift hits both alike.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from bench.common import Mode, Row, median, sqs_messages, use_bench_specs
from viewer.core import Viewer
from viewer.settings import resolve
from viewer.sources.embedded import local_client
from viewer.sources.localsqs import LocalSqs


def fill(sqs: Any, depth: int) -> str:
    """A new queue holding ``depth`` SNS notifications (envelope delivery)."""
    url = sqs.create_queue(QueueName="bench-ingest-" + uuid.uuid4().hex[:8])["QueueUrl"]
    bodies = [m["Body"] for m in sqs_messages(depth, seed=29)]
    for i in range(0, depth, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "MessageBody": body} for j, body in enumerate(bodies[i:i + 10])])
    return url


def bare_drain(sqs: Any, url: str, depth: int) -> float:
    """Messages/s of a bare receive + batch-delete loop, from its first batch to the last."""
    got = first = 0
    start = 0.0
    while got < depth:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageAttributeNames=["All"], AttributeNames=["All"])
        messages = answer.get("Messages", [])
        if messages:
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(messages)])
            if not got:
                start, first = time.perf_counter(), len(messages)
            got += len(messages)
    return (depth - first) / (time.perf_counter() - start)


def viewer_drain(endpoint: str, url: str, depth: int) -> float:
    """Messages/s of the viewer's consumer storing (validated) and deleting, first to last.

    Timed from the first stored message, as the bare loop is from its first batch: start-up
    (loading specs, checking the queue exists) is not ingest.
    """
    values = resolve({"QUEUES": [url], "BUFFER_SIZE": depth + 1, "SQS_WAIT_SECONDS": 1,
                      "SPEC_WATCH": False}, environ={})
    viewer = Viewer(values, sqs_client=local_client("sqs", endpoint))
    use_bench_specs(viewer)
    viewer.start()
    try:
        while not len(viewer.store):
            time.sleep(0.001)  # polling the buffer's size, not synchronising a test
        start, first = time.perf_counter(), len(viewer.store)
        while len(viewer.store) < depth:
            time.sleep(0.001)
        return (depth - first) / (time.perf_counter() - start)
    finally:
        viewer.stop(timeout=10)


def run(mode: Mode, local: LocalSqs | None = None) -> list[Row]:
    """Drain rate of each side, median of alternating rounds at equal depth."""
    depth = mode.pick(500, 200, 30)
    rounds = mode.pick(4, 6, 1)
    own = local is None
    local = local or LocalSqs()
    if own:
        local.start()
    assert local.url is not None
    sqs = local_client("sqs", local.url)
    ours, bare = [], []
    try:
        for i in range(rounds):
            order = ("bare", "ours") if i % 2 == 0 else ("ours", "bare")
            for side in order:
                url = fill(sqs, depth)
                if side == "bare":
                    bare.append(bare_drain(sqs, url, depth))
                else:
                    ours.append(viewer_drain(local.url, url, depth))
                sqs.delete_queue(QueueUrl=url)
    finally:
        if own:
            local.stop()
    rate, bare_rate = median(ours), median(bare)
    return [Row("1", f"ingest from local SQS (depth {depth})", rate, bare_rate, "msg/s",
                ">= 0.9x bare", rate >= 0.9 * bare_rate,
                notes=f"median of {rounds} alternating rounds; ours "
                      + ", ".join(f"{x:.0f}" for x in ours) + "; bare "
                      + ", ".join(f"{x:.0f}" for x in bare))]
