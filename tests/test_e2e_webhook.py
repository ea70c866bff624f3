"""A held call notifies approvers with a JSON POST carrying a Slack-style `text`."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import botocore.exceptions
import pytest

from tests.e2e import close_lab, open_lab

RULES = Path(__file__).parent / "rules" / "policy-e2e.yaml"


@pytest.fixture(scope="module")
def hook():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_webhook_is_told_about_a_held_call(moto, tmp_path, hook):
    url, received = hook
    lab = open_lab(moto, tmp_path, chaperone_rules=str(RULES), chaperone_webhook=url)
    try:
        sqs = lab.client("sqs")
        q = sqs.create_queue(QueueName="hook-q")["QueueUrl"]
        with pytest.raises(botocore.exceptions.ClientError):
            sqs.delete_queue(QueueUrl=q)  # held, then times out after 2 s
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(received) == 1
        note = received[0]
        assert "sqs:DeleteQueue" in note["text"] and note["approval"]["id"] in note["text"]
        assert "chaperone approve " + note["approval"]["id"] in note["text"]
        assert note["approval"]["agent"] == "test-agent"
    finally:
        close_lab(lab)
