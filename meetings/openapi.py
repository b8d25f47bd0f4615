"""The public API described as OpenAPI 3.1: served as JSON at /api/openapi.json and read as
a page at /api/docs/, both built from ``api_description`` (so they never disagree).

The search parameters are read from the filters themselves (``FeedFilter``), with their
choices, so a filter added to the search appears here without anyone writing it twice.
"""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meetings.filters import FeedFilter, MeetingFilter

OPENAPI_VERSION = "3.1.0"
# Parameters of the search that a feed or calendar reads but no API client needs to send.
_PAGE_ONLY = {"sort", "tz"}


def search_parameters(filterset_class=FeedFilter) -> list[dict]:
    """The filters' query parameters as OpenAPI parameters: a multiple choice is an
    array sent as repeated parameters (``?day=1&day=2``), choices are an enum."""
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        if name in _PAGE_ONLY:
            continue
        field = filter_.field
        schema = {"type": "string"}
        if max_length := getattr(field, "max_length", None):
            schema["maxLength"] = max_length
        choices = [str(value) for value, _label in getattr(field, "choices", ()) if value != ""]
        if choices:
            schema = {"type": "string", "enum": choices}
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            schema = {"type": "array", "items": schema}
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": str(field.label or name),
                "schema": schema,
                **({"style": "form", "explode": True} if schema["type"] == "array" else {}),
            }
        )
    return parameters


def _text(kind: str = "string", **extra) -> dict:
    return {"type": kind, **extra}


_HH_MM = _text(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$")

MEETING_GUIDE_ROW = {
    "type": "object",
    "description": gettext_lazy(
        "One weekly meeting, as the Meeting Guide specification writes it."
    ),
    "required": ["name", "slug", "day", "time", "timezone", "types", "attendance_option"],
    "properties": {
        "name": _text(maxLength=255),
        "slug": _text(pattern="^[A-Za-z0-9_-]{1,64}$"),
        "day": {
            "type": "integer",
            "minimum": 0,
            "maximum": 6,
            "description": gettext_lazy("0 is Sunday."),
        },
        "time": _HH_MM,
        "end_time": _text(
            pattern="^(([01][0-9]|2[0-3]):[0-5][0-9])?$",
            description=gettext_lazy(
                "Empty when no end is known, and when the meeting passes midnight: "
                "clients put the end on the start's day and read an empty end as one hour."
            ),
        ),
        "timezone": _text(description=gettext_lazy("IANA zone, e.g. America/Chicago.")),
        "location": _text(),
        "location_notes": _text(),
        "formatted_address": _text(),
        "address": _text(),
        "city": _text(),
        "state": _text(),
        "postal_code": _text(),
        "country": _text(),
        "region": _text(),
        "sub_region": _text(),
        "regions": {
            "type": "array",
            "items": _text(),
            "description": gettext_lazy("General to specific: state, city, neighbourhood."),
        },
        "approximate": {
            "type": "string",
            "enum": ["yes", "no"],
            "description": gettext_lazy(
                "yes: the address is only a town or area (an online meeting's)."
            ),
        },
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "types": {"type": "array", "items": _text()},
        "conference_url": _text(),
        "conference_url_notes": _text(),
        "conference_phone": _text(),
        "conference_phone_notes": _text(),
        "attendance_option": {
            "type": "string",
            "enum": ["in_person", "hybrid", "online", "inactive"],
        },
        "group": _text(),
        "group_notes": _text(),
        "notes": _text(),
        "updated": _text(
            pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
            description=gettext_lazy("When the listing last really changed, UTC."),
        ),
        "url": _text(format="uri"),
        "feedback_url": _text(format="uri"),
        "fellowship": _text(description=gettext_lazy("Our fellowship's slug (not in the spec).")),
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": _text(),
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _text()},
            "description": gettext_lazy(
                "What is wrong with each parameter, in words for a person."
            ),
        },
    },
}

FEED_INDEX = {
    "type": "object",
    "required": ["feeds", "openapi", "docs"],
    "properties": {
        "feeds": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fellowship", "name", "url", "page"],
                "properties": {
                    "fellowship": _text(description=gettext_lazy("The fellowship's slug.")),
                    "name": _text(),
                    "url": _text(format="uri", description=gettext_lazy("Its Meeting Guide feed.")),
                    "page": _text(format="uri"),
                },
            },
        },
        "all": _text(
            format="uri", description=gettext_lazy("Every public meeting, all fellowships.")
        ),
        "openapi": _text(format="uri"),
        "docs": _text(format="uri"),
    },
}


HSDS_SERVICE = {
    "type": "object",
    "description": (
        "One weekly meeting as an Open Referral HSDS 3.0 service: its group as the "
        "organization, one weekly schedule, where it meets (physical, virtual or both)."
    ),
    "required": ["id", "organization_id", "name", "status", "schedules", "organization"],
    "properties": {
        "id": _text(format="uuid"),
        "organization_id": _text(format="uuid"),
        "name": _text(),
        "description": _text(),
        "url": _text(format="uri"),
        "status": {"type": "string", "enum": ["active", "temporarily closed"]},
        "assured_date": _text(format="date"),
        "schedules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "freq", "byday", "opens_at", "timezone"],
                "properties": {
                    "freq": {"type": "string", "enum": ["WEEKLY"]},
                    "interval": {"type": "integer"},
                    "byday": {"type": "string", "enum": ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]},
                    "opens_at": _HH_MM,
                    "closes_at": _HH_MM,
                    "timezone": {
                        "type": "number",
                        "description": gettext_lazy(
                            "The meeting's zone's UTC offset this week, in hours."
                        ),
                    },
                    "notes": _text(
                        description=gettext_lazy("The meeting's time zone (IANA name).")
                    ),
                    "attending_type": {
                        "type": "string",
                        "enum": ["in_person", "hybrid", "online", "inactive"],
                    },
                },
            },
        },
        "languages": {"type": "array", "items": {"type": "object"}},
        "service_at_locations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "service_id", "location_id", "location"],
                "properties": {
                    "location": {
                        "type": "object",
                        "required": ["id", "location_type"],
                        "properties": {
                            "location_type": {"type": "string", "enum": ["physical", "virtual"]}
                        },
                    }
                },
            },
        },
        "organization": {"type": "object", "required": ["id", "name", "description"]},
    },
}

HSDS_ORGANIZATION = {
    "type": "object",
    "description": gettext_lazy(
        "A fellowship, or one of its groups (its fellowship as parent_organization_id), "
        "as an Open Referral HSDS 3.0 organization. No email or phone."
    ),
    "required": ["id", "name", "description"],
    "properties": {
        "id": _text(format="uuid"),
        "name": _text(),
        "description": _text(),
        "website": _text(format="uri"),
        "parent_organization_id": _text(format="uuid"),
    },
}

_HSDS_ADDRESSES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "address_1", "city", "state_province", "postal_code"],
    },
}
_HSDS_ACCESSIBILITY = {"type": "array", "items": {"type": "object", "required": ["id"]}}

HSDS_LOCATION = {
    "type": "object",
    "description": gettext_lazy(
        "A venue where listed meetings meet in person, as an Open Referral HSDS 3.0 "
        "physical location: the same identifier as in the services' service_at_locations."
    ),
    "required": ["id", "location_type"],
    "properties": {
        "id": _text(format="uuid"),
        "location_type": {"type": "string", "enum": ["physical"]},
        "name": _text(),
        "description": _text(),
        "latitude": {"type": "number"},
        "longitude": {"type": "number"},
        # Each list under HSDS 3.0's spelling and under the later releases' one.
        "addresss": _HSDS_ADDRESSES,
        "addresses": _HSDS_ADDRESSES,
        "accessibilitys": _HSDS_ACCESSIBILITY,
        "accessibility": _HSDS_ACCESSIBILITY,
    },
}


def _hsds_list(operation: str, summary, description, page: str, answer, params) -> dict:
    """One of the HSDS lists: the feed's search parameters and paging, a page or a 400."""
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "description": description,
            "parameters": params + _paging(),
            "responses": {"200": _json(page, answer), "400": _bad_request()},
        }
    }


def _hsds_page(item: str, description) -> dict:
    return {
        "type": "object",
        "description": description,
        "required": ["total_items", "total_pages", "page_number", "size", "contents"],
        "properties": {
            "total_items": {"type": "integer"},
            "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"},
            "size": {"type": "integer"},
            "first_page": {"type": "boolean"},
            "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"},
            "contents": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
        },
    }


HSDS_PAGE = _hsds_page(
    "HsdsService", gettext_lazy("A page of services, as HSDS's own API pages GET /services.")
)
HSDS_ORGANIZATION_PAGE = _hsds_page(
    "HsdsOrganization",
    gettext_lazy("A page of organizations, as HSDS's own API pages GET /organizations."),
)
HSDS_LOCATION_PAGE = _hsds_page(
    "HsdsLocation",
    gettext_lazy("A page of locations, as HSDS's own API pages GET /locations."),
)


def _paging() -> list[dict]:
    return [
        {
            "name": "page",
            "in": "query",
            "required": False,
            "description": _("The page, from 1."),
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        },
        {
            "name": "per_page",
            "in": "query",
            "required": False,
            "description": _("Services per page."),
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
        },
    ]


def _json(schema_name: str, description: str, example=None) -> dict:
    content = {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _bad_request() -> dict:
    return _json(
        "Error",
        _("A parameter is not valid (an unknown place, a day that is not one)."),
        {"error": "Invalid parameters.", "fields": {"near": ["We couldn't find “Atlantis”."]}},
    )


def _calendar(description: str) -> dict:
    return {"description": description, "content": {"text/calendar": {"schema": _text()}}}


def api_description(*, base_url: str) -> dict:
    """The OpenAPI 3.1 description of every public JSON and calendar endpoint."""
    feed_params = search_parameters(FeedFilter)
    calendar_params = search_parameters(MeetingFilter) + [
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": _("Nearest first (with a place) or soonest first."),
            "schema": {"type": "string", "enum": ["distance", "soonest"]},
        }
    ]
    example_row = {
        "name": "Monday Big Book",
        "slug": "monday-big-book-mon",
        "day": 1,
        "time": "19:00",
        "end_time": "20:00",
        "timezone": "America/Chicago",
        "formatted_address": "519 Oak Grove St, Minneapolis, MN 55403, USA",
        "regions": ["MN", "Minneapolis"],
        "approximate": "no",
        "types": ["B", "O"],
        "attendance_option": "in_person",
        "updated": "2026-03-05 18:04:00",
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": _("RecoveryMap public API"),
            "version": "1.0",
            "description": _(
                "Every public meeting as a Meeting Guide feed (the format of TSML UI and the "
                "Meeting Guide app), one feed per fellowship, and searches as calendars. No "
                "key, no sign-in; any site may read the feeds from a browser (CORS)."
            ),
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/meetings.json": {
                "get": {
                    "operationId": "meetingFeed",
                    "summary": _("Meeting Guide feed"),
                    "description": _(
                        "Every public meeting, or those the search parameters pick, streamed "
                        "as one JSON array. TSML UI and the Meeting Guide app read one "
                        "fellowship per feed: give fellowship=."
                    ),
                    "parameters": feed_params,
                    "responses": {
                        "200": {
                            "description": _("The meetings."),
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Meeting"},
                                    },
                                    "example": [example_row],
                                }
                            },
                        },
                        "400": _bad_request(),
                    },
                }
            },
            "/api/hsds/services": _hsds_list(
                "hsdsServices",
                _("HSDS 3.0 services"),
                _(
                    "The same meetings as the feed (the same search parameters), as "
                    "Open Referral HSDS 3.0 services for 211 and referral systems, a "
                    "page at a time. No email or phone of anyone."
                ),
                "HsdsServicePage",
                _("A page of services."),
                feed_params,
            ),
            "/api/hsds/organizations": _hsds_list(
                "hsdsOrganizations",
                _("HSDS 3.0 organizations"),
                _(
                    "The fellowships and groups of the same meetings (the same search "
                    "parameters), as Open Referral HSDS 3.0 organizations: first the "
                    "fellowships, then the groups, a page at a time."
                ),
                "HsdsOrganizationPage",
                _("A page of organizations."),
                feed_params,
            ),
            "/api/hsds/locations": _hsds_list(
                "hsdsLocations",
                _("HSDS 3.0 locations"),
                _(
                    "The venues where the same meetings (the same search parameters) "
                    "meet in person, as Open Referral HSDS 3.0 physical locations, a "
                    "page at a time. Online meetings' join links are in their services."
                ),
                "HsdsLocationPage",
                _("A page of locations."),
                feed_params,
            ),
            "/api/feeds.json": {
                "get": {
                    "operationId": "feedIndex",
                    "summary": _("Feeds by fellowship"),
                    "description": _("A Meeting Guide feed address for each fellowship."),
                    "responses": {"200": _json("FeedIndex", _("The feeds."))},
                }
            },
            "/meetings.ics": {
                "get": {
                    "operationId": "searchCalendar",
                    "summary": _("A search as a calendar"),
                    "description": _(
                        "The search's meetings (at most 500) as weekly events to subscribe "
                        "to. Without a place: online meetings, soonest first."
                    ),
                    "parameters": calendar_params,
                    "responses": {
                        "200": _calendar(_("An iCalendar file.")),
                        "400": {
                            "description": _("A parameter is not valid."),
                            "content": {"text/plain": {"schema": _text()}},
                        },
                    },
                }
            },
            "/meetings/{slug}.ics": {
                "get": {
                    "operationId": "meetingCalendar",
                    "summary": _("One meeting as a calendar event"),
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "description": _("The meeting's slug, as in the feed."),
                            "schema": {"type": "string"},
                            "example": "monday-big-book-mon",
                        }
                    ],
                    "responses": {
                        "200": _calendar(_("A weekly recurring event.")),
                        "404": {"description": _("No listed meeting has that slug.")},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Meeting": MEETING_GUIDE_ROW,
                "Error": ERROR,
                "FeedIndex": FEED_INDEX,
                "HsdsServicePage": HSDS_PAGE,
                "HsdsService": HSDS_SERVICE,
                "HsdsOrganizationPage": HSDS_ORGANIZATION_PAGE,
                "HsdsOrganization": HSDS_ORGANIZATION,
                "HsdsLocationPage": HSDS_LOCATION_PAGE,
                "HsdsLocation": HSDS_LOCATION,
            }
        },
    }


# The same description, as a page --------------------------------------------------------


def _type_words(schema: dict) -> str:
    """A schema in a few words for the docs page: "array of string (one of a, b)"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_type_words(schema.get('items', {}))}"
    words = schema.get("type", "")
    if "enum" in schema:
        shown = ", ".join(schema["enum"][:12]) + (", …" if len(schema["enum"]) > 12 else "")
        words += f" ({shown})"
    return words


def docs_sections(description: dict) -> dict:
    """What the docs page shows, read from the description: operations with their
    parameters and responses, and the schemas' properties."""
    import json

    operations = []
    for path, methods in description["paths"].items():
        for method, op in methods.items():
            responses = []
            for code, response in op["responses"].items():
                for media, content in (response.get("content") or {"": {}}).items():
                    example = content.get("example")
                    responses.append(
                        {
                            "code": code,
                            "description": response["description"],
                            "media": media,
                            "schema": _type_words(content["schema"]) if content else "",
                            "example": (
                                json.dumps(example, indent=2, ensure_ascii=False)
                                if example is not None
                                else ""
                            ),
                        }
                    )
            operations.append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p["in"],
                            "type": _type_words(p["schema"]),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": responses,
                }
            )
    schemas = [
        {
            "name": name,
            "description": schema.get("description", ""),
            "properties": [
                {
                    "name": prop,
                    "type": _type_words(value),
                    "required": prop in schema.get("required", []),
                    "description": value.get("description", ""),
                }
                for prop, value in schema.get("properties", {}).items()
            ],
        }
        for name, schema in description["components"]["schemas"].items()
    ]
    return {"operations": operations, "schemas": schemas}
