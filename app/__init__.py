"""jaxjudge's service: accounts, problems, submissions, the judging queue, workers, REST API and CLI."""
