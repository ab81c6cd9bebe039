"""Tickets, their append-only audit trail, and the lifecycle that changes them."""
