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
