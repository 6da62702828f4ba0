"""Hand-written peers for bench/suite.py: the same work as a Taskloom API_CALL task on plain Dramatiq and Celery."""
