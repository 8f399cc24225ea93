"""Formats: HTML through nbconvert and our templates, PDF, Word, the index page."""
