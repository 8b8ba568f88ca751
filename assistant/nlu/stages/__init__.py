"""The stages of understanding, each behind ``grammar.Stage`` (``match(reading) -> Match | None``).

In the order the pipeline runs them (pipeline.py), each only when the ones before found nothing:
strict, corrected, fuzzy, aside, generalise.
"""
