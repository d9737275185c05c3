"""Emails as text: Jinja templates, locales, CSS inlined into the templates. No AWS in it."""
