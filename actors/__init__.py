"""Who owns what, concurrently: the supervisor and the session and draft actors."""
