"""The site's languages: which one a visitor reads, the same page's address in another,
and remembering the choice (a cookie for everyone, a field for signed-in people, whose
emails then come in it)."""

from django.conf import settings
from django.urls import translate_url
from django.utils import translation


def page_in(path: str, language: str) -> str:
    """``path`` (with its query) as the same page in ``language``; unchanged when the
    address has no language (the feed, the sitemap)."""
    # Django resolves the path in the active language: make it the path's own.
    with translation.override(translation.get_language_from_path(path) or settings.LANGUAGE_CODE):
        return translate_url(path, language)


def has_language(path: str) -> bool:
    """Whether the page at ``path`` exists in each language (its address changes)."""
    other = next(code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
    return page_in(path, other) != path or translation.get_language_from_path(path) is not None


def supported(language: str | None) -> str:
    """``language`` when the site speaks it (``es-MX`` counts as ``es``), else English."""
    try:
        return translation.get_supported_language_variant(language or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def browser_language(request) -> str:
    """The first language of the browser's Accept-Language that the site speaks."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in translation.trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE
