"""The hypothesis profiles every property test runs under.

``ci`` (the default) keeps `make test` fast and repeatable: 50 examples,
derandomized. ``fuzz`` is the long run of `make fuzz`: ``BOTCOPY_FUZZ_EXAMPLES``
examples (50,000 unless set), random. ``BOTCOPY_FUZZ_PROFILE`` picks one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILE", "fuzz_settings"]

settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("BOTCOPY_FUZZ_EXAMPLES", "50000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = os.environ.get("BOTCOPY_FUZZ_PROFILE", "ci")
"""The profile in force: ``ci`` unless ``BOTCOPY_FUZZ_PROFILE`` names another."""

fuzz_settings = settings(settings.get_profile(PROFILE))
"""Apply to each property test: the selected profile."""
