"""Twilio webhooks: inbound SMS, the voice menu, and delivery status callbacks."""
