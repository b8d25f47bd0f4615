"""django-allauth, adapted: sign-in guesses limited per client and per account in a way
that lets nobody elsewhere lock an account's owner out.

allauth's default refuses even the right password for five minutes after five wrong
ones for an address typed anywhere, so anyone who knows an organizer's email address
can keep them out for as long as they care to. Here (README, "Signing in"):

- per client address and account: 5 failures in 5 minutes (allauth's rule, with the
  client address added to its key), and per client address: 10 a minute over every
  account. A guesser is slowed; the owner, elsewhere, is not counted with them;
- per account across all clients: 30 failures an hour, the brake on guessing spread
  over many addresses. It never applies to a browser that has signed in to that
  account before (a signed "known device" cookie, set at each sign-in), so the owner
  on their own phone or computer is never locked out. Only a person on a browser new
  to the account can be held up, while such an attack goes on, and a password reset
  lifts it.
"""

import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings

KNOWN_DEVICE_COOKIE = "rm_known"
KNOWN_DEVICE_SALT = "accounts.known-device"
KNOWN_DEVICE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie
ACCOUNT_RATES = {"login_failed_account": "30/h/key"}


def _account_key(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth's per-account counter, made per account *and* client address: also
        # what a successful password reset from this client clears.
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{key}:{ratelimit.get_ip(request)}"

    def pre_authenticate(self, request, **credentials) -> None:
        super().pre_authenticate(request, **credentials)
        login = credentials.get("email", credentials.get("username", ""))
        if self._is_known_device(request, login):
            return
        usage = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed_account",
            key=_account_key(login),
            config=ACCOUNT_RATES,
        )
        if not usage:
            self._rollback_login_failed_rl_usage()
            raise self.validation_error("too_many_login_attempts")
        # Rolled back together with allauth's own when the password is right.
        self._login_failed_rl_usage.usage.extend(usage.usage)

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        super()._delete_login_attempts_cached_email(request, **credentials)
        login = credentials.get("email", credentials.get("username", ""))
        ratelimit.clear(
            request,
            app="allauth.account",
            action="login_failed_account",
            key=_account_key(login),
            config=ACCOUNT_RATES,
        )

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        response.set_signed_cookie(
            KNOWN_DEVICE_COOKIE,
            _account_key(user.email),
            salt=KNOWN_DEVICE_SALT,
            max_age=KNOWN_DEVICE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def _is_known_device(self, request, login: str) -> bool:
        known = request.get_signed_cookie(
            KNOWN_DEVICE_COOKIE, default=None, salt=KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_SECONDS
        )
        return known is not None and known == _account_key(login)
