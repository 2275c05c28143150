"""Outgoing e-mail: SMTP when configured, ``.eml`` files in the data directory otherwise."""
