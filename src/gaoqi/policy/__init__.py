"""The policy engine: official criteria as dated, versioned data and one pure evaluator.

This package must never import Django (a test enforces it): the web platform calls it, never the reverse.
"""
