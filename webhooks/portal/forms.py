"""Portal forms for webhook endpoints: input shape only; webhooks.services checks URLs and types."""

from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.models import WebhookEventType


class WebhookEndpointCreateForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    # A CharField, not a URLField: which URLs may receive webhooks is the service's rule.
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://erp.example.com/oms-webhooks"}),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        required=False,
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to receive every event."),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        first_two = list(customers[:2])
        if len(first_two) == 1:
            # A dealer acting for one customer has nothing to choose.
            self.fields["customer"].initial = first_two[0].pk
            self.fields["customer"].widget = forms.HiddenInput()
