"""How the drill server answers a refused request: a JSON body with the error and its status,
and for a request over a limit a 429 with `Retry-After`. One home for every endpoint (the web
API and the chat command)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from .limits import LimitExceeded

__all__ = ["error_response", "limit_response"]


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def limit_response(exc: LimitExceeded) -> JSONResponse:
    response = error_response(429, str(exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response
