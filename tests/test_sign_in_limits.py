"""Signing in: the real password hasher, guesses limited without locking the owner out,
and Redis going away locking nobody out."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import global_settings
from django.urls import reverse

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def _account(email="lee@example.org"):
    user = make_user(email=email)
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _sign_in(client, email, password, ip="198.51.100.7"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def test_the_real_password_hasher_stores_and_checks_passwords(client, settings):
    """The suite hashes with MD5 for speed (tests/conftest.py); production keeps Django's."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    user = _account()
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert _sign_in(client, user.email, "wrong").status_code == 200
    assert "_auth_user_id" not in client.session
    response = _sign_in(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# Redis down: limits still count, nobody is locked out --------------------------------


def test_with_redis_down_the_right_password_still_signs_in(client, redis_down):
    user = _account()
    assert _sign_in(client, user.email, "wrong").status_code == 200
    response = _sign_in(client, user.email, PASSWORD)
    assert response.status_code == 302, response.status_code
    assert client.session["_auth_user_id"] == str(user.pk)


def test_with_redis_down_wrong_guesses_are_still_limited(client, redis_down):
    user = _account()
    for _ in range(5):
        assert _sign_in(client, user.email, "wrong").status_code == 200
    response = _sign_in(client, user.email, "wrong")
    assert "Too many failed login attempts" in response.content.decode()


def test_with_redis_down_people_can_sign_up_and_reset_a_password(client, redis_down):
    response = client.post(
        reverse("account_signup"),
        {"email": "new.person@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    client.logout()
    user = _account()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")


# Lockout is no weapon: guesses elsewhere never keep the owner out ---------------------

ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


def _signed_out_keeping_cookies(client):
    """Signed out as a browser is after its session ends: other cookies stay."""
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_guesses_from_one_client_are_limited_there(client):
    user = _account()
    for _ in range(5):
        _sign_in(client, user.email, "wrong", ip=ATTACKER)
    response = _sign_in(client, user.email, PASSWORD, ip=ATTACKER)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_guesses_from_elsewhere_do_not_lock_the_owner_out(client):
    user = _account()
    attacker = type(client)()
    for _ in range(8):
        _sign_in(attacker, user.email, "wrong", ip=ATTACKER)
    assert (
        "Too many failed" in _sign_in(attacker, user.email, PASSWORD, ip=ATTACKER).content.decode()
    )
    response = _sign_in(client, user.email, PASSWORD, ip=OWNER)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_guesses_spread_over_many_addresses_stop_at_the_account_limit(client):
    user = _account()
    known = type(client)()
    assert _sign_in(known, user.email, PASSWORD, ip=OWNER).status_code == 302  # their laptop
    _signed_out_keeping_cookies(known)
    attacker = type(client)()
    for n in range(30):
        _sign_in(attacker, user.email, "wrong", ip=f"203.0.113.{n + 10}")
    # A new client is held up, even with the right password, while the attack goes on ...
    response = _sign_in(attacker, user.email, PASSWORD, ip="203.0.113.200")
    assert "Too many failed login attempts" in response.content.decode()
    # ... but the owner, on a browser that signed in to the account before, is let in.
    response = _sign_in(known, user.email, PASSWORD, ip="192.0.2.50")
    assert response.status_code == 302
    assert known.session["_auth_user_id"] == str(user.pk)


def test_a_known_device_cookie_for_another_account_does_not_help(client):
    other = _account(email="kim@example.org")
    assert _sign_in(client, other.email, PASSWORD).status_code == 302
    _signed_out_keeping_cookies(client)
    user = _account()
    for n in range(30):
        _sign_in(client, user.email, "wrong", ip=f"203.0.113.{n + 10}")
    response = _sign_in(client, user.email, PASSWORD, ip="203.0.113.200")
    assert "Too many failed login attempts" in response.content.decode()
