"""axe-core finds no WCAG 2.1 A or AA violation on any public page, phone-sized."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def page_url(directory, name: str) -> str:
    in_person = next(m for m in directory.in_person if m.attendance == "in_person")
    return {
        "home": "/",
        "results": "/meetings/?near=55404",
        "results with filters": "/meetings/?near=55404&fellowship=aa&day=1&type=X&language=S",
        "results with an error": "/meetings/?near=xyz",
        "online now": "/meetings/?attendance=online&sort=soonest",
        "meeting in person": in_person.get_absolute_url(),
        "meeting online": directory.online[0].get_absolute_url(),
        "group": directory.groups["aa"].get_absolute_url(),
        "fellowships": "/fellowships/",
        "fellowship": directory.fellowships["aa"].get_absolute_url(),
    }[name]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "results",
        "results with filters",
        "results with an error",
        "online now",
        "meeting in person",
        "meeting online",
        "group",
        "fellowships",
        "fellowship",
    ],
)
def test_the_page_has_no_wcag_a_or_aa_violations(page, directory, name):
    response = page.goto(page_url(directory, name))
    assert response.ok
    # axe checks only what is shown: open the filters so their controls are checked too.
    filters = page.locator("details.filters")
    if filters.count() and filters.get_attribute("open") is None:
        filters.locator("summary").click()

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]

    assert violations == [], f"{name}:\n{describe(violations)}"


def test_a_place_we_cannot_find_is_explained_at_the_field(page, directory):
    page.goto("/meetings/?near=xyz")
    field = page.get_by_role("textbox", name="ZIP code or town")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile(r"We couldn.t find “xyz”"))
