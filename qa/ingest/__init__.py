"""Documents in: read the corpus folder (:mod:`qa.ingest.files`) and split it into passages
(:mod:`qa.ingest.split`). Converters for other formats belong in ``qa/ingest/convert/``."""
