"""Receiving Botcopy's webhook calls: parsing, verification, replies in time."""

from botcopy_handover.webhook._parse import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parse_webhook

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_DEPTH", "parse_webhook"]
