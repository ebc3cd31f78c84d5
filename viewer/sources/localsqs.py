"""A local SQS + SNS endpoint on loopback (moto's server), run as a child process.

``python -m viewer.sources.localsqs [--port N]`` serves it and prints ``READY <url>``;
``LocalSqs`` starts and stops that child. Moto keeps every SNS notification it sent in
memory; a trimmer thread drops old ones so the endpoint can run for a working day. Each
subscription signs with one certificate, as SNS does, rather than moto's one per message.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
from typing import IO, Any

KEEP_NOTIFICATIONS = 100


class LocalSqs:
    """The child process serving SQS and SNS on ``127.0.0.1``."""

    def __init__(self, port: int = 0, startup_timeout: float = 30.0) -> None:
        self.port = port
        self.startup_timeout = startup_timeout
        self.url: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._output: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self) -> str:
        """Start the server and return its URL once it answers."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "viewer.sources.localsqs", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        ready = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(self._proc.stdout, ready),
                                        daemon=True, name="localsqs-output")
        self._reader.start()
        if not ready.wait(self.startup_timeout) or self.url is None:
            self.stop()
            raise RuntimeError("local SQS/SNS server did not start:\n" + "".join(self._output))
        return self.url

    def _read(self, stream: IO[str] | None, ready: threading.Event) -> None:
        assert stream is not None
        for line in stream:
            if line.startswith("READY ") and self.url is None:
                self.url = line.split()[1]
                ready.set()
            elif len(self._output) < 200:
                self._output.append(line)
        ready.set()

    def stop(self) -> None:
        """Stop the server."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc is not None and self._proc.stdout is not None:
            if self._reader is not None:
                self._reader.join(5)
            self._proc.stdout.close()

    @property
    def output(self) -> str:
        """What the server printed (for a failing test's report)."""
        return "".join(self._output)


def _trim(stop: threading.Event, keep: int, every: float) -> None:
    """Drop what moto remembers forever: tracked model instances, sent SNS notifications,
    public signing keys and deleted receipt handles.

    Without this the endpoint grows by about 7 KB per message (~500 MB an hour at 30/s).
    A receipt handle forgotten here only matters to a second delete of the same message,
    which then fails as SQS itself may fail it; the viewer counts and survives that.
    """
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    while not stop.wait(every):
        trim_once(sns_backends, sqs_backends, keep)


def trim_once(sns_backends: Any, sqs_backends: Any, keep: int) -> None:
    """One pass of ``_trim`` over every account and region."""
    from moto.core.base_backend import model_data

    # Every moto model instance is also appended to its class's instances_tracked (for
    # moto's own model listing): per-message models would stay alive forever.
    for models in list(model_data.values()):
        for cls in list(models.values()):
            tracked = getattr(cls, "instances_tracked", None)
            if tracked is not None and len(tracked) > 10 * keep:
                del tracked[: len(tracked) - keep]
    for account in list(sns_backends.values()):
        for backend in list(account.values()):
            # moto signs each notification with a fresh key and keeps its public half.
            keys = backend._message_public_keys
            if len(keys) > keep:
                for name in list(keys)[: len(keys) - keep]:
                    keys.pop(name, None)
            for topic in list(backend.topics.values()):
                sent = topic.sent_notifications
                if len(sent) > keep:
                    del sent[: len(sent) - keep]
    for account in list(sqs_backends.values()):
        for backend in list(account.values()):
            for queue in list(backend.queues.values()):
                if len(queue.deleted_messages) > 10 * keep:
                    queue.deleted_messages = set()


def stable_signing_certs() -> None:
    """Give every notification of a subscription the same ``SigningCertURL``, as SNS does.

    moto makes a certificate per notification and names the URL after it, so no two SNS
    envelopes from the endpoint are alike: the viewer could share none of them (each
    buffered demo message kept its own copy of the envelope, about 1.5 KB). The signing key
    is already one per subscription, so its first certificate verifies every later
    signature; the per-message ones are dropped as they are made.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns import models

    original = models.Subscription.get_post_data
    if getattr(original, "stable_cert", False):
        return

    def get_post_data(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        data = original(self, *args, **kwargs)
        url = data.get("SigningCertURL")
        if not isinstance(url, str):
            return data
        region = self.topic.sns_backend.region_name
        keys = models.sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys
        name = url.rsplit("/", 1)[-1]
        key = self.private_key()
        kept = getattr(self, "_stable_cert", None)
        if kept is None or kept[0] is not key or kept[1] not in keys:
            # First time, or moto made a new key (its cache of keys is bounded): start over.
            self._stable_cert = (key, name, url)
            return data
        keys.pop(name, None)
        data["SigningCertURL"] = kept[2]
        return data

    get_post_data.stable_cert = True  # type: ignore[attr-defined]
    models.Subscription.get_post_data = get_post_data


def serve(port: int) -> None:
    """Serve moto's SQS and SNS on loopback until killed."""
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    stable_signing_certs()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    stop = threading.Event()
    threading.Thread(target=_trim, args=(stop, KEEP_NOTIFICATIONS, 5.0),
                     daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    finally:
        stop.set()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: ``--port``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(args.port)


if __name__ == "__main__":
    main()
