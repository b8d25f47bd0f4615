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
