"""Evaluation backends behind `backends.protocol.Backend`; the torch backend is the default."""
