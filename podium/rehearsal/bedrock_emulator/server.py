"""BedrockServer: the emulator behind an HTTP endpoint on 127.0.0.1 (AWS_ENDPOINT_URL_BEDROCK
and AWS_ENDPOINT_URL_BEDROCK_RUNTIME)."""

from __future__ import annotations

import json
import re
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from podium.rehearsal.bedrock_emulator.emulator import BedrockEmulator
from podium.rehearsal.bedrock_emulator.runtime import ANSWER_NOTE, SIMULATED_HEADER
from podium.rehearsal.local_http import LocalHTTPServer


class BedrockServer(LocalHTTPServer):
    """Serve a BedrockEmulator on 127.0.0.1 (for AWS_ENDPOINT_URL_BEDROCK)."""

    thread_name = "podium-bedrock"

    def __init__(self, emulator: BedrockEmulator, port: int = 0) -> None:
        self.emulator = emulator
        super().__init__(port)

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self.emulator

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = None
                target = self.headers.get("X-Amz-Target")
                if not isinstance(body, dict):
                    status = 400
                    response = {"__type": "ValidationException", "message": "body is not a JSON object"}
                elif target:
                    status, response = emulator.handle_json(target, body, self._access_key())
                else:
                    status, response = emulator.handle(method, url.path, query, body, self._access_key())
                data = json.dumps(response).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1" if target else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                if url.path.endswith(("/converse", "/invoke")):
                    self.send_header(SIMULATED_HEADER, ANSWER_NOTE)
                if status >= 300:
                    self.send_header("x-amzn-ErrorType", response["__type"])
                self.end_headers()
                self.wfile.write(data)

            def _access_key(self) -> str | None:
                """The access key a SigV4 request is signed with (Credential=<key>/<date>/…)."""
                authorization = self.headers.get("Authorization") or ""
                match = re.search(r"Credential=([^/,\s]+)/", authorization)
                return match.group(1) if match else None

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler
