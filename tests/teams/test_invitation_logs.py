"""Invitation and password-reset tokens never reach a log line: their path segment is cut like a share token's."""

import secrets

from config.log_scrubbing import scrub


def test_an_invitation_token_in_a_logged_path_is_cut_to_six_characters():
    token = secrets.token_urlsafe(32)

    line = scrub(f'Not Found: /invitations/{token}/ "GET /invitations/{token}/?x=1 HTTP/1.1" 404')

    assert token not in line
    assert token[6:18] not in line
    assert f"/invitations/{token[:6]}.../" in line


def test_a_password_reset_token_in_a_logged_path_is_cut_too():
    line = scrub('"GET /password-reset/MQ/dj71vx-e94aabb648429599883df47b0ab567a4/ HTTP/1.1" 302')

    assert "e94aabb648429599883df47b0ab567a4" not in line
    assert "/password-reset/MQ/dj71vx.../" in line
