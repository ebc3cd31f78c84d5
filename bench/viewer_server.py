"""The viewer as the benchmark runs it: a child process serving the real app on a free port.

``python -m bench.viewer_server [--queue URL --endpoint URL] [--preload N] [--buffer N]``
prints ``READY <url>``. ``POST /bench/feed?rate=R&seconds=S`` feeds the pipeline in-process
(``Viewer.handle`` with SNS notifications, as the SQS consumer would), so a figure can load
the web layer without the local SQS server being the limit.
"""

from __future__ import annotations

import argparse
import logging

from flask import request
from werkzeug.serving import make_server

from bench.common import use_bench_specs
from bench.feeder import Feeder
from viewer.app import create_app
from viewer.core import Viewer
from viewer.settings import resolve


def build(queue: str | None, endpoint: str | None, buffer: int) -> tuple[object, Viewer]:
    """The app and its viewer, with the bench specs."""
    values = resolve({"QUEUES": [queue] if queue else ["bench-feed"], "BUFFER_SIZE": buffer,
                      "SQS_WAIT_SECONDS": 20, "SPEC_WATCH": False, "LOG_LEVEL": "WARNING"},
                     environ={})
    client = None
    if endpoint:
        from viewer.sources.embedded import local_client

        client = local_client("sqs", endpoint)
    viewer = Viewer(values, sqs_client=client)
    use_bench_specs(viewer)
    return create_app(values, viewer=viewer), viewer


def main(argv: list[str] | None = None) -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--queue")
    parser.add_argument("--endpoint")
    parser.add_argument("--preload", type=int, default=0)
    parser.add_argument("--buffer", type=int, default=100_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    app, viewer = build(args.queue, args.endpoint, args.buffer)
    feeder = Feeder(lambda m: viewer.handle(m, "bench"))
    feeder.preload(args.preload)

    def feed() -> tuple[str, int]:
        feeder.start(float(request.args["rate"]), float(request.args["seconds"]))
        return "feeding", 202

    def stored() -> dict[str, int]:
        return {"stored": len(viewer.store), "fed": feeder.sent}

    app.add_url_rule("/bench/feed", "bench_feed", feed, methods=["POST"])
    app.add_url_rule("/bench/stats", "bench_stats", stored)
    if args.queue:
        viewer.start()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
