"""Forms of the public meeting pages: reporting a problem with a listing."""

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.models import ProblemReport


class ProblemReportForm(forms.ModelForm):
    """What is wrong, in one tap; details and a reply address are optional.

    ``website`` is a honeypot: hidden from people (and from screen readers and the tab
    order), it is filled in only by bots, whose reports are then quietly dropped.
    """

    category = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=ProblemReport.Category.choices,
        widget=forms.RadioSelect,
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = ProblemReport
        fields = ["category", "message", "email"]
        labels = {
            "message": _("Anything else we should know? (optional)"),
            "email": _("Your email, if you'd like a reply (optional)"),
        }
        help_texts = {
            "message": _("Please don't include anyone's full name."),
            "email": _("Seen only by the group's organizers and RecoveryMap staff."),
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    @property
    def is_from_a_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))
