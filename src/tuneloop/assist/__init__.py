"""Assisted labelling: automation that points people at what needs a person.

    tfidf.py          the TF-IDF logistic regression (also evaluate's baseline) and its
                      out-of-fold probabilities
    label_issues.py   likely wrong labels from out-of-fold probabilities (cleanlab's confident
                      learning), for one label or label sets
    crowd.py          CROWDLAB over the items several people annotated: a consensus with a quality
                      score per item, and a quality score per annotator
    review_queue.py   the project's label-issue run: the finders over its data and store, the
                      suspects routed to the store's review queue
    calibration.py    temperature scaling on held-out probabilities; expected calibration error
    suggestions.py    a probability source calibrated, then each text's label or label set
    suggest_baseline.py  the TF-IDF suggester on the gold labels (and the sources' while few)
    suggest_items.py  `assist suggest`: every open item's suggestion replaced in the store
    anchoring.py      the pull of shown suggestions on answers (against the blind share), and its gate
    queue.py          the uncertainty queue's order: smallest margin first, no cluster repeated in a batch

The layer sits between annotate and model loading: it reads the spec, data and the annotation store,
and never a trained model (a model's scores come in as values).
"""
