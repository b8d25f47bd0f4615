"""What an app server does once, when it starts, before it serves (recoverymap.wsgi).

Every process loads its URL patterns, compiled templates and translation catalogues on
first use, and keeps them for its whole life. Loaded up front, the first visitors do not
wait for them; and once they are loaded, the garbage collector is told that everything
alive then lives as long as the process (``gc.freeze()``). A full collection otherwise
walks all of it again: a pause of 30 to 65 ms every few hundred requests, measured on a
cold search page at 250,000 meetings (bench/search.py), a good part of its p95.
"""

import gc
import logging

from django.conf import settings
from django.db import DatabaseError
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

log = logging.getLogger(__name__)


def prepare_to_serve() -> None:
    """Load what requests would load on first use, then freeze it out of the collector's
    way. A database that cannot be reached is no reason not to start: the town index is
    then built by the first search that needs it, as it would be anyway."""
    reverse("directory:home")  # imports every URLconf, and so every view module
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Meetings")  # the language's catalogues
    for name in _project_templates():
        try:
            get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError):  # pragma: no cover
            log.warning("Template %s could not be compiled at start-up", name)
    try:
        from meetings.gazetteer import town_index

        town_index()
    except DatabaseError as error:
        log.warning("Start-up without the town index (the database said: %s)", error)
    gc.collect()
    gc.freeze()


def _project_templates() -> list[str]:
    """The names of the templates in the project's own folder (templates/)."""
    names = []
    for folder in settings.TEMPLATES[0]["DIRS"]:
        names += [str(path.relative_to(folder)) for path in folder.rglob("*.html")]
    return sorted(names)
