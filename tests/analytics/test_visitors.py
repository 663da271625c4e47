import hashlib

from analytics.visitors import visitor_id

SALT = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
OTHER_SALT = "ff" * 32


def test_visitor_id_is_blake2b_keyed_with_the_salt_as_a_signed_64_bit_integer():
    expected = hashlib.blake2b(b"7\n203.0.113.9\nMozilla/5.0", key=bytes.fromhex(SALT), digest_size=8).digest()

    result = visitor_id(salt=SALT, site_id=7, ip="203.0.113.9", user_agent="Mozilla/5.0")

    assert result == int.from_bytes(expected, "big", signed=True)
    assert -(2**63) <= result < 2**63


def test_visitor_id_changes_with_every_input():
    base = {"salt": SALT, "site_id": 7, "ip": "203.0.113.9", "user_agent": "Mozilla/5.0"}
    variants = [
        base,
        {**base, "salt": OTHER_SALT},
        {**base, "site_id": 8},
        {**base, "ip": "203.0.113.10"},
        {**base, "user_agent": "Mozilla/5.1"},
    ]

    assert len({visitor_id(**variant) for variant in variants}) == 5
    assert visitor_id(**base) == visitor_id(**base)


def test_an_unencodable_user_agent_still_gives_an_id():
    assert isinstance(visitor_id(salt=SALT, site_id=1, ip="::1", user_agent="\udcff broken"), int)
