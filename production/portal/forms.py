from django import forms
from django.utils.translation import gettext_lazy as _

ACTIONS = (("start", _("Start")), ("finish", _("Finish")))
MAX_SERIALS = 1000


class StageProgressForm(forms.Form):
    """The button a supervisor presses: which stage, start or finish (both from the page), and the
    serial numbers of the finished units when the last stage finishes."""

    stage = forms.SlugField(max_length=40, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, for serial-tracked products; only when the last stage finishes."),
    )

    def clean_serials(self) -> list[str]:
        serials = [s.strip() for s in self.cleaned_data.get("serials", "").splitlines() if s.strip()]
        if len(serials) > MAX_SERIALS:
            raise forms.ValidationError(
                _("At most %(count)s serial numbers at once.") % {"count": MAX_SERIALS}
            )
        if any(len(s) > 40 for s in serials):
            raise forms.ValidationError(_("A serial number has at most 40 characters."))
        return serials
