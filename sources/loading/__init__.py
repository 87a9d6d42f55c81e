"""Internals of `sources.loader`: file staging, row rules and the load report."""
