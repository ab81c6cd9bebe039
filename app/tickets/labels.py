"""Words for codes that staff and residents see: priorities, channels, resolution codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.tickets.models import Channel, Priority, Status

PRIORITY_LABELS = {
    Priority.EMERGENCY: _l("Emergency"),
    Priority.HIGH: _l("High"),
    Priority.NORMAL: _l("Normal"),
    Priority.LOW: _l("Low"),
}

CHANNEL_LABELS = {
    Channel.WEB: _l("Web"),
    Channel.PHONE: _l("Phone"),
    Channel.SMS: _l("SMS"),
    Channel.VOICE: _l("Voice menu"),
    Channel.API: _l("API"),
}

RESOLUTION_LABELS = {
    "valve_adjusted": _l("Valve adjusted"),
    "air_bled": _l("Air bled from radiators"),
    "leak_repaired": _l("Leak repaired"),
    "substation_fault": _l("Substation fault fixed"),
    "meets_standard": _l("Measured: meets the indoor standard"),
    "referred_to_billing": _l("Referred to billing"),
    "other": _l("Other"),
}

ACTION_BUTTONS = {
    "assign": _l("Assign"),
    "acknowledge": _l("Accept the job"),
    "depart": _l("On my way"),
    "arrive": _l("Arrived on site"),
    "wait_for_resident": _l("Wait for the resident"),
    "resume": _l("Resume work"),
    "resolve": _l("Resolve"),
    "rate": _l("Record the resident's score"),
    "close_without_response": _l("Close: no response from the resident"),
    "close_after_callback": _l("Close after the call-back"),
    "reopen": _l("Reopen"),
    "transfer": _l("Transfer to another team"),
    "cancel": _l("Cancel the ticket"),
    "reclassify": _l("Change category or priority"),
}


# Staff read the state from their side: the resident's "Waiting for you" is their "Waiting for the resident".
STAFF_STATUS_OVERRIDES = {Status.WAITING: _l("Waiting for the resident")}


def staff_status_label(status: Status) -> str:
    from app.tickets.lifecycle import STATUS_LABELS

    return STAFF_STATUS_OVERRIDES.get(status) or STATUS_LABELS[status]
