"""The client of a jaxjudge server: `from jaxjudge.client import Judge` (see app.client)."""

from app.client import ClientError, Judge, Result, source_of, verdict_html

__all__ = ["ClientError", "Judge", "Result", "source_of", "verdict_html"]
