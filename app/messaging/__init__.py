"""Notifications: the outbox, the SMS gateway and the delivery job."""
