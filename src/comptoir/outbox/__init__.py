"""The transactional outbox: events and jobs written in the same transaction as the change."""
