"""The background worker: outbox dispatch, job execution and periodic tasks."""
