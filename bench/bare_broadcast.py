"""The fan-out baseline: a bare flask-sock server broadcasting the same frames, no viewer.

``python -m bench.bare_broadcast [--preload N]`` prints ``READY <url>``. It takes the same
SNS notifications from the same feeder as ``bench.viewer_server``, parses the envelope once,
wraps the text in a ``messages/add`` frame and puts it in every client's outbox; a thread
per connection sends (as flask-sock does for the viewer). ``/`` is a minimal page that
renders every frame as a table row, the browser figure's baseline.
"""

from __future__ import annotations

import argparse
import logging
import queue
import threading
from typing import Any

import orjson
from flask import Flask, request
from flask_sock import Sock
from werkzeug.serving import make_server

from bench.feeder import Feeder

PAGE = """<!doctype html><meta charset="utf-8"><title>bare</title>
<table><tbody id="rows"></tbody></table>
<script>
const rows = document.getElementById("rows");
function row(m) {
  const tr = document.createElement("tr");
  tr.dataset.seq = m.seq;
  for (const text of [m.receivedAt, m.eventType, m.messageId]) {
    const td = document.createElement("td"); td.textContent = text; tr.append(td);
  }
  return tr;
}
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", payload: {filter: {}, limit: 10000}}));
ws.onmessage = (event) => {
  const frame = JSON.parse(event.data);
  if (frame.type === "messages/reset") rows.replaceChildren(...frame.payload.messages.map(row));
  else if (frame.type === "messages/add") {
    rows.prepend(row(frame.payload));
    if (rows.childElementCount > 10000) rows.lastElementChild.remove();
  }
};
</script>"""


class Broadcaster:
    """Clients' outboxes and the backlog; ``publish`` is the feeder's sink."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.outboxes: set[queue.Queue[bytes]] = set()
        self.backlog: list[bytes] = []
        self.seq = 0

    def publish(self, sqs_message: dict[str, Any]) -> None:
        """Wrap the notification's text in a frame and queue it for every client."""
        envelope = orjson.loads(sqs_message["Body"])
        text = envelope["Message"]
        with self.lock:
            self.seq += 1
            payload = orjson.dumps({
                "seq": self.seq, "messageId": envelope["MessageId"],
                "eventType": envelope["MessageAttributes"]["eventType"]["Value"],
                "receivedAt": envelope["Timestamp"], "raw": text})[:-1] + (
                b',"body":' + text.encode() + b"}")
            self.backlog.append(payload)
            data = b'{"type":"messages/add","payload":' + payload + b"}"
            for outbox in self.outboxes:
                outbox.put_nowait(data)

    def subscribe(self, limit: int) -> tuple[queue.Queue[bytes], bytes]:
        """A new outbox and the reset frame of the newest ``limit`` messages."""
        outbox: queue.Queue[bytes] = queue.Queue()
        with self.lock:
            items = b",".join(reversed(self.backlog[-limit:]))
            self.outboxes.add(outbox)
        return outbox, (b'{"type":"messages/reset","payload":{"messages":[' + items
                        + b'],"total":' + str(len(self.backlog)).encode() + b"}}")


def create(preload: int) -> tuple[Flask, Feeder]:
    """The bare app and its feeder."""
    app = Flask(__name__)
    sock = Sock(app)
    hub = Broadcaster()
    feeder = Feeder(hub.publish)
    feeder.preload(preload)

    @app.get("/")
    def page() -> str:
        return PAGE

    @app.post("/bench/feed")
    def feed() -> tuple[str, int]:
        feeder.start(float(request.args["rate"]), float(request.args["seconds"]))
        return "feeding", 202

    @sock.route("/ws")
    def ws(conn: Any) -> None:
        first = orjson.loads(conn.receive())
        limit = int((first.get("payload") or {}).get("limit") or 100)
        outbox, reset = hub.subscribe(limit)
        conn.send(reset.decode())
        try:
            while True:
                conn.send(outbox.get().decode())
        finally:
            with hub.lock:
                hub.outboxes.discard(outbox)

    return app, feeder


def main(argv: list[str] | None = None) -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", type=int, default=0)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app, _ = create(args.preload)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
