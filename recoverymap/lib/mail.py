"""Emails written as templates: ``<name>_subject.txt`` and ``<name>_body.txt``.

Every recipient gets a message of their own, so organizers of one group never see each
other's addresses. Services send after their transaction commits (``mail_on_commit``):
a message never announces a change that was rolled back, and a mail server that is down
is logged without undoing the change.

Each message is written in its recipient's language: the one their account last read
the site in (``User.language``), English for an address without an account.
"""

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from recoverymap.lib.languages import page_in

SUBJECT_PREFIX = "[RecoveryMap] "


def send_templated_mail(template: str, *, to: Iterable[str], context: dict) -> int:
    """Render ``template`` for ``context`` and send it to each address; the number sent."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    context = {"site_url": settings.SITE_URL, **context}
    languages = recipient_languages(recipients)
    written = {}  # language: (subject, body), each rendered once
    messages = []
    for address in recipients:
        language = languages.get(address.lower(), settings.LANGUAGE_CODE)
        if language not in written:
            with translation.override(language):
                theirs = links_in(context, language)
                subject = render_plain_text(f"{template}_subject.txt", theirs)
                body = render_plain_text(f"{template}_body.txt", theirs)
            written[language] = (" ".join(subject.split()), body)
        subject, body = written[language]
        messages.append(
            EmailMessage(SUBJECT_PREFIX + subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        )
    return get_connection().send_messages(messages) or 0


def links_in(context: dict, language: str) -> dict:
    """``context`` with its links to the site's pages (``SITE_URL`` + path) made links
    to the same pages in ``language``: a report made on a Spanish page still sends an
    English-speaking organizer to the English one."""
    return {
        name: settings.SITE_URL + page_in(value.removeprefix(settings.SITE_URL), language)
        if isinstance(value, str) and value.startswith(settings.SITE_URL + "/")
        else value
        for name, value in context.items()
    }


def recipient_languages(addresses: Iterable[str]) -> dict[str, str]:
    """The language of each address that has an account, by lowercased address."""
    users = get_user_model().objects.filter(email__in=list(addresses))
    return {email.lower(): language for email, language in users.values_list("email", "language")}


def render_plain_text(name: str, context: dict) -> str:
    """A template rendered without HTML escaping: an email's subject and body are plain
    text, where "Bob's Group" must not arrive as "Bob&#x27;s Group"."""
    return get_template(name).template.render(Context(context, autoescape=False))


def mail_on_commit(template: str, *, to: Iterable[str], context: dict) -> None:
    """``send_templated_mail`` once the current transaction commits; failures are logged."""
    transaction.on_commit(
        partial(send_templated_mail, template, to=list(to), context=context), robust=True
    )
