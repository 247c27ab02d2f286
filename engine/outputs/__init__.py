"""Outputs: views, templates, Markdown/HTML/Word/Excel writers, the year's summary."""
