"""Outbound webhooks: endpoints, signed deliveries from the outbox, retries, the delivery log."""
