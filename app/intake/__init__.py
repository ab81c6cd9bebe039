"""Intake: the one service that turns a complaint from any channel into a ticket, and the resident web pages."""
