"""Answers written straight to ASGI `send`, for middleware that replies without the app."""

from __future__ import annotations

import json

from starlette.types import Send

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]  # status, headers, body


def json_error(status: int, error: str, detail: str, headers: Headers | None = None) -> Answer:
    """The service's error body, `{"error", "message", "detail"}`, as an answer."""
    body = json.dumps({"error": error, "message": detail, "detail": detail}).encode()
    return status, [(b"content-type", b"application/json"), *(headers or [])], body


async def send_answer(send: Send, answer: Answer) -> None:
    status, headers, body = answer
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
