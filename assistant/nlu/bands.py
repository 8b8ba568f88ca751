"""The matcher's score bands: what a score from the pipeline means to the rest of Tandem.

Its own module, free of imports, so the dialogue can compare scores without loading the matcher
(numpy, rapidfuzz: a third of a second for CLI commands that never parse). The pipeline scores in
these bands; the ears and the dialogue read them.
"""

# The benchmark's calibration line measured fuzzy and corrected matches at about 95-100% correct on dev,
# strict ones at 100%, the classifier's answers lower: each kind of match scores in its own band.
SCORE_STRICT = 1.0
ASIDE_SCORE = 0.75  # a command with a side remark: like the weakest fuzzy match
NONE_SCORE = 0.9  # confidence in "nothing meant" when no stage answered (see calibration)
# the classifier's answers score from this to that (GEN_MIN_PROB .. certainty): below every fuzzy match
GEN_SCORE = (0.6, 0.74)
# From here up a template (or a slot-free sentence) explains the utterance (strict 1.0, corrected 0.8+,
# fuzzy and aside 0.75+); below it only the classifier guessed, and a listener may prefer another
# hypothesis or ask again.
SURE_SCORE = 0.75
