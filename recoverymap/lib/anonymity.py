"""The anonymity guard: does public text look like it names a person or gives their
personal email address or phone number?

Anonymity is a tradition of the fellowships this directory serves, so meeting notes,
names and directions should carry first names at most ("ask for Bill W. at the door").
``anonymity_warnings`` is a heuristic, deliberately cheap and a little eager: its answers
are shown as warnings after a save, never as a block, and the organizer decides. The
contact fields (a group's public email and phone) are for group or service addresses and
are not checked.
"""

import re

from django.utils.translation import gettext as _


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# About 200 common US first names (Social Security Administration lists), minus those
# that are also everyday words in listings: Hope, Faith, Grace, Joy, Will, the months...
FIRST_NAMES = _words(
    """
    aaron adam alan albert alex alexander alice allison amanda amber amy andrea andrew
    angela ann anna anne anthony arthur ashley austin barbara benjamin betty beverly bill
    billy bob bobby bonnie brandon brenda brian brittany bruce bryan carl carol caroline
    carolyn catherine charles charlotte cheryl chris christian christina christine
    christopher cindy cynthia daniel danielle david deborah debra denise dennis diana diane
    donald donna doris dorothy douglas dylan edward elizabeth emily emma eric ethan eugene
    evelyn frank gary george gerald gloria gregory hannah harold heather helen henry isabella
    jack jacob jacqueline james jane janet janice jason jean jeffrey jennifer jeremy jerry
    jesse jessica jim jimmy joan joe john johnny jonathan jose joseph joshua joyce juan judith
    judy julia julie justin karen katherine kathleen kathryn kathy keith kelly kenneth kevin
    kimberly kyle larry laura lauren lawrence linda lisa logan lori louis madison margaret
    maria marie marilyn mark martha mary matthew megan melissa michael michelle mike nancy
    natalie nathan nicholas nicole noah olivia pamela patricia patrick paul peter philip
    rachel ralph randy raymond rebecca richard robert roger ronald roy russell ruth ryan
    samantha samuel sandra sara sarah scott sean sharon shirley sophia stephanie stephen
    steve steven susan teresa terry theresa thomas timothy tom tony tyler victoria vincent
    virginia walter wayne william zachary
    """
)

# A capitalised word after a first name that makes it a place, a church or a phrase
# rather than a surname: "Paul Lutheran", "Mary Street", "John Minnesota".
_NOT_SURNAMES = _words(
    """
    a an and are as at avenue ave baptist blvd boulevard building cathedral catholic center
    centre chapel church club college community county court drive episcopal fellowship for
    from group hall high home hospital house in is lake library lutheran meeting memorial
    methodist middle of on park parish place presbyterian recovery road room school st
    street the to unitarian university with your alabama alaska arizona arkansas california
    colorado connecticut delaware florida georgia hawaii idaho illinois indiana iowa kansas
    kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
    montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont
    washington wisconsin wyoming
    """
)
# Words before a first name that make the pair part of a place name: "St. John Neumann".
_PLACE_PREFIXES = frozenset(["st", "st.", "saint", "san", "santa", "mount", "mt", "mt.", "fort"])

# A capitalised word then a surname-shaped one (Smith, O'Brien, Smith-Jones), as a
# lookahead so that "Call John Smith" still finds "John Smith" after "Call John".
_PAIR = re.compile(
    r"\b(?=([A-Z][a-z]+)[ \t]+((?:[A-Z]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?:['’]s)?\b)"
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\d+])(?:"
    # North American: (612) 555-0134, 612-555-0134, 612.555.0134, +1 612 555 0134
    r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    # International, written with its country code: +44 20 7946 0958
    r"|\+\d{1,3}(?:[\s.-]?\d){7,12}"
    r")(?!\d)"
)
# Mailboxes that belong to a person rather than to a group or a venue.
_FREE_MAIL = _words(
    """
    aol.com comcast.net gmail.com googlemail.com hotmail.com icloud.com live.com mac.com
    me.com msn.com outlook.com proton.me protonmail.com yahoo.com ymail.com
    """
)


def anonymity_warnings(text: str) -> list[str]:
    """Why ``text`` may break someone's anonymity, one sentence per finding; empty if
    nothing looks personal."""
    if not text:
        return []
    warnings = []
    for match in _EMAIL.finditer(text):
        if _is_personal_email(match.group(0)):
            warnings.append(
                _(
                    "“%(found)s” looks like a personal email address. Public text should "
                    "not carry one; give a group or service address in the group's public "
                    "email instead."
                )
                % {"found": match.group(0)}
            )
    without_emails = _EMAIL.sub(" ", text)
    for match in _PHONE.finditer(without_emails):
        warnings.append(
            _(
                "“%(found)s” looks like a phone number. Public text should not carry a "
                "personal number; give a group or service line in the group's public phone."
            )
            % {"found": match.group(0).strip()}
        )
    for match in _PAIR.finditer(without_emails):
        first, second = match.group(1), match.group(2)
        if first.lower() not in FIRST_NAMES or second.lower() in _NOT_SURNAMES:
            continue
        before = without_emails[: match.start()].split()
        if before and before[-1].lower() in _PLACE_PREFIXES:
            continue
        warnings.append(
            _(
                "“%(found)s” looks like a full name. Out of respect for anonymity, use a "
                "first name and last initial (“%(short)s”)."
            )
            % {"found": f"{first} {second}", "short": f"{first} {second[0]}."}
        )
    return list(dict.fromkeys(warnings))


def _is_personal_email(address: str) -> bool:
    """A free-mail address, or a mailbox named after a person (``mary.k@church.org``);
    role addresses such as ``info@`` or ``office@`` are fine."""
    local, _at, domain = address.lower().rpartition("@")
    if domain in _FREE_MAIL:
        return True
    return any(part in FIRST_NAMES for part in re.split(r"[._+\-\d]+", local))
