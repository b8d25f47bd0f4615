# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev setup lint fmt bench clean gettext messages check-messages

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "RecoveryMap needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Database, reference data, gazetteer and demo data; each step is a no-op when done
# (load_reference adds missing rows only, so staff's edits to fellowships survive).
setup: install
	mkdir -p var
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_reference
	$(PY) manage.py load_places --if-empty
	$(PY) manage.py seed_demo --if-empty

run: setup
	$(PY) manage.py runserver $(HOST):$(PORT)

# GNU gettext (xgettext, msgfmt) for makemessages and compilemessages: installed from
# Debian's packages when run as root (as CI is), else it says how. `make run` needs none
# of it: the compiled catalogues (locale/*/LC_MESSAGES/django.mo) are committed.
gettext:
	@command -v xgettext >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== installing gettext"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null 2>&1 || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }; \
	  else \
	    echo "GNU gettext is needed: sudo apt-get install gettext" >&2; exit 1; \
	  fi; }

# Rebuild the Spanish catalogue from the code and templates, and compile it.
MAKEMESSAGES := $(PY) manage.py makemessages -l es --no-obsolete --no-location \
	--ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=static/vendor
messages: install-dev gettext
	$(MAKEMESSAGES)
	$(PY) manage.py compilemessages -l es --ignore=.venv

# No string left behind (issue 15): makemessages leaves the catalogue as it is (but for
# its creation date), and the committed .mo is the .po compiled. On failure the .po is
# left as makemessages rebuilt it, so `git diff locale/` shows what to translate.
CATALOGUE := locale/es/LC_MESSAGES/django
check-messages: install-dev gettext
	mkdir -p var
	cp $(CATALOGUE).po var/django.po.committed
	$(MAKEMESSAGES)
	@diff -q -I '^"POT-Creation-Date:' var/django.po.committed $(CATALOGUE).po >/dev/null || { \
	  echo "$(CATALOGUE).po is not what makemessages makes of the code: translate the new or changed strings (git diff locale/)." >&2; exit 1; }
	cp var/django.po.committed $(CATALOGUE).po
	msgfmt --check-format -o var/django.mo $(CATALOGUE).po
	@cmp -s var/django.mo $(CATALOGUE).mo || { \
	  echo "$(CATALOGUE).mo is not $(CATALOGUE).po compiled: run make messages and commit locale/." >&2; exit 1; }

test: install-dev check-messages
	mkdir -p var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
