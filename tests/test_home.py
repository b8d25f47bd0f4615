"""The home page shows the product: a search box, not a framework default."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_renders_a_search_box_and_landmarks(client):
    response = client.get(reverse("directory:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="near"' in html
    assert 'href="#main"' in html  # skip link
    assert "<main" in html and "<header" in html and "<footer" in html
    assert 'name="viewport"' in html
