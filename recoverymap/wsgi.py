"""WSGI entry point for production servers such as gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoverymap.settings")
application = get_wsgi_application()

# After Django is set up: what every request would load on first use, loaded now.
from recoverymap.startup import prepare_to_serve  # noqa: E402

prepare_to_serve()
