"""pick_headers: raw bytes names (ASGI) are matched exactly as their Latin-1 text would be."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from botcopy_handover.webhook._headers import pick_headers

WANTED = frozenset({"authorization", "content-type", "x-botcopy-secret"})

_latin1_name = st.text(
    alphabet=st.sampled_from(
        [*"aAbBcCnNoOtTzZ-_0", "\u00c0", "\u00e0", "\u00de", "\u00fe", "\u00b5"]
    ),
    max_size=20,
)
_name = st.one_of(
    _latin1_name,
    st.sampled_from(sorted(WANTED)).map(str.upper),
    st.sampled_from(["Authorization", "CONTENT-TYPE", "X-Botcopy-Secret", "authorizatioN"]),
)
_pairs = st.lists(st.tuples(_name, st.text(alphabet=st.characters(max_codepoint=255))), max_size=12)


@given(_pairs)
def test_bytes_names_pick_what_their_text_picks(pairs: list[tuple[str, str]]) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    assert pick_headers(raw, WANTED) == pick_headers(pairs, WANTED)


def test_every_occurrence_is_kept_in_order_whatever_the_case() -> None:
    raw = [(b"Authorization", b"a"), (b"host", b"h"), (b"AUTHORIZATION", b"b")]
    assert pick_headers(raw, WANTED) == {"authorization": ["a", "b"]}


def test_a_wanted_name_outside_ascii_is_still_matched_by_its_text() -> None:
    wanted = frozenset({"x-caf\u00e9"})
    raw = [("X-CAF\u00c9".encode("latin-1"), b"1")]
    assert pick_headers(raw, wanted) == {"x-caf\u00e9": ["1"]}
