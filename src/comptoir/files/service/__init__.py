"""Stored-file services: checking uploads, storage back-ends and signed download links."""
