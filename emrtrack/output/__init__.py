"""Outputs: views rendered as tables, machine formats, spreadsheets, charts and templates."""
