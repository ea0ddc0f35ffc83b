"""From the reader's spans to an answer or an abstention: the expected answer type
(``answer_types``), calibrated confidence (``confidence``) and follow-up questions
(``followup``)."""
