"""Receiving Botcopy's webhook calls: parsing, verification, replies in time."""

from botcopy_handover.webhook._parse import DECODER_MAX_DEPTH, DEFAULT_MAX_BYTES, parse_webhook

__all__ = ["DEFAULT_MAX_BYTES", "DECODER_MAX_DEPTH", "parse_webhook"]
