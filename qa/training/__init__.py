"""Training and fitting: the span reader (``reader``), its unanswerable questions
(``unanswerable``) and the answer/abstain calibration (``calibrate``). Nothing here is
imported when questions are answered."""
