"""Training a wake head: synthesise, augment, embed, train, mine, pick thresholds, write the card.

``make wake-model`` (``tools/wake_model.py``) rebuilds the committed "hey tandem" head with this package;
``tandem wake train`` builds a head for the couple's own phrase on their device. Deterministic given the
seed: every shard of audio is drawn from its own seeded generator, so its embeddings, cached under
``<cache>/<recipe hash>/``, are reused by a later run with the same settings.

Modules, in the order the recipe runs them: ``text`` (what is said: everyday sentences, the phrase, its
near-misses), ``voices`` (who says it: espeak-ng's Latin-script voices and variants, festival's non-English
voices, neural voices when the ``wake-train`` extra is installed), ``augment`` (rooms, microphones, noise
beds at 0-30 dB), ``shards`` (audio labelled per 80 ms step and embedded by pyopen-wakeword's front end),
``fit`` (a logistic regression over 16 embeddings trained in numpy with hard negatives mined in rounds; a
development set of voices kept out of training picks the thresholds), ``recipe`` (the plan, the build, the
model card).

English festival voices and the other Debian synthesiser are held out for the benchmark and never used here
(``tests/test_wake_oww.py`` checks that no file of this package names them).
"""
