"""Imports every model so that the metadata (and Alembic) sees all tables."""
from app.analytics.account_counts import SubstationAccounts  # noqa: F401
from app.analytics.received_days import ReceivedDay  # noqa: F401  (also keeps it: app.analytics.rollups)
from app.analytics.step_times import StepTimeMonth  # noqa: F401  (also keeps it: app.analytics.rollups)
from app.auth.models import User  # noqa: F401
from app.customers.models import Building, CustomerAccount, CustomerPhone, District, Outage, Substation  # noqa: F401
from app.field.models import TicketPhoto  # noqa: F401
from app.messaging.models import InboundMessage, OutboxMessage, PhoneOptOut, SmsConversation  # noqa: F401
from app.routing.models import Team  # noqa: F401
from app.satisfaction.models import Resolution, ResolutionDay  # noqa: F401
from app.satisfaction.resolution_counts import ResolutionMonth  # noqa: F401  (and the rollups of resolutions)
from app.sla.models import SlaEscalation, SlaPolicy  # noqa: F401
from app.tickets.models import Category, Ticket, TicketEvent  # noqa: F401
