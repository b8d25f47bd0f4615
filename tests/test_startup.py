"""An app server's start-up (recoverymap.startup): it loads what requests would load on
first use, freezes it out of the garbage collector's way, and starts without a database."""

import gc

import pytest
from django.db import OperationalError
from django.template import engines

from meetings import gazetteer
from recoverymap.startup import prepare_to_serve


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the rest of the test run collects as usual


def test_start_up_compiles_the_templates_and_freezes_what_it_loaded(db, unfrozen):
    gc.unfreeze()
    prepare_to_serve()
    assert gc.get_freeze_count() > 10_000
    loader = engines["django"].engine.template_loaders[0]
    if hasattr(loader, "get_template_cache"):  # the cached loader (DEBUG off)
        assert "meetings/meeting_list.html" in loader.get_template_cache


def test_start_up_goes_on_when_the_database_cannot_be_reached(monkeypatch, unfrozen, caplog):
    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(gazetteer, "town_index", unreachable)
    prepare_to_serve()
    assert gc.get_freeze_count() > 0
    assert "without the town index" in caplog.text
