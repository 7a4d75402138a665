"""The workers: what sends notifications and probes services, away from any request.

Request handlers (handlers/tasks.py's cron endpoints, main.py's app factory) only call
them: `notify` sends the outbox's deliveries, `probes` runs the services' HTTP probes,
`outbound` makes their guarded requests to URLs admins typed in.
"""
