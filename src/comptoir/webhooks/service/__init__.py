"""Webhook services: endpoints, the events catalogue, fan-out, delivery and the log."""
