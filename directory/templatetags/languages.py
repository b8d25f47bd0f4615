"""The page in each of the site's languages: the language switch and the ``hreflang``
alternates of every page head."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from recoverymap.lib.languages import page_in

register = template.Library()


@register.simple_tag(takes_context=True)
def page_languages(context) -> list[dict]:
    """This page (with its query, so a search stays as it is) in each language: ``code``,
    ``name`` (as its speakers write it), ``url``, ``absolute_url`` and ``current``."""
    request = context.get("request")
    if request is None:
        return []
    path = request.get_full_path()
    current = get_language()
    versions = []
    for code, name in settings.LANGUAGES:
        url = page_in(path, code)
        versions.append(
            {
                "code": code,
                "name": name,
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "current": code == current,
            }
        )
    if len({v["url"] for v in versions}) < len(versions):
        return []  # a page with one address only (not found, say)
    return versions
