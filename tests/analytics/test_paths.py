"""Page paths are stored in one decoded form: `/%41` is `/A`, and nothing unstorable gets through."""

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.paths import canonical_path, page_path
from analytics.text import is_storable
from tests.hypothesis_profiles import examples


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/pricing", "/pricing"),
        ("/%41", "/A"),
        ("/%7Euser/", "/~user/"),
        ("/%c3%a9t%C3%A9", "/été"),
        ("/été", "/été"),
        ("/docs/a%20b/", "/docs/a b/"),
        ("/a%2Fb", "/a/b"),
        ("/%F0%9F%98%80", "/😀"),
        # A literal percent sign is always written %25, so a second decoding changes nothing.
        ("/100%25", "/100%25"),
        ("/100%", "/100%25"),
        ("/%2541", "/%2541"),
        ("/%zz", "/%25zz"),
        # Control characters stay escaped, upper-case, whether they came encoded or raw.
        ("/a%00b", "/a%00b"),
        ("/a\x00b", "/a%00b"),
        ("/a%0ab", "/a%0Ab"),
        ("/a%7Fb", "/a%7Fb"),
        ("/a%C2%85b", "/a%C2%85b"),
        # Bytes that are not UTF-8 stay escaped: a stray byte, an encoded surrogate, a cut sequence.
        ("/%ff", "/%FF"),
        ("/%ED%A0%80", "/%ED%A0%80"),
        ("/%C3", "/%C3"),
        ("/\ud800", "/%ED%A0%80"),
    ],
)
def test_paths_are_decoded_except_percent_signs_control_characters_and_bytes_that_are_not_utf8(path, expected):
    assert canonical_path(path) == expected


def test_two_spellings_of_one_page_are_one_path():
    assert page_path("https://example.com/%C3%A9t%C3%A9?x=1") == page_path("https://example.com/été#top") == "/été"
    assert page_path("https://example.com/%41bout") == page_path("https://example.com/About") == "/About"


def test_a_long_path_is_cut_at_2000_characters_without_leaving_half_an_escape():
    assert canonical_path("/" + "p" * 2100) == "/" + "p" * 1999
    assert canonical_path("/" + "p" * 1997 + "%00") == "/" + "p" * 1997
    assert canonical_path("/" + "p" * 1996 + "%00") == "/" + "p" * 1996 + "%00"


def test_an_empty_path_is_the_root():
    assert page_path("https://example.com") == "/"
    assert page_path("https://example.com?q=1") == "/"


PATH_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["%", "%2", "%25", "%41", "%00", "%ff", "%C3", "%A9", "%ED%A0%80", "/", "a", "é", "\x00", " "]),
        st.characters(exclude_categories=[]),
    ),
    max_size=40,
).map(lambda parts: "/" + "".join(parts))


@settings(max_examples=examples(300), deadline=None)
@given(PATH_TEXT)
def test_the_stored_form_is_storable_and_a_second_pass_changes_nothing(path):
    stored = canonical_path(path)

    assert is_storable(stored)
    assert stored.encode("utf-8")
    assert len(stored) <= 2000
    assert canonical_path(stored) == stored


@settings(max_examples=examples(200), deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="%"), max_size=40))
def test_a_percent_encoded_path_and_its_raw_text_are_one_path(text):
    path = "/" + text

    assert canonical_path(quote(path, safe="/")) == canonical_path(path)
